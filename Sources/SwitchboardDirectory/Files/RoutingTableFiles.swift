public import Foundation
import SwitchboardCore
import Yams

/// The RoutingTables/ folder: the directory as human-editable, diff-friendly YAML.
///
/// - `interactions.yaml`: the interaction catalogue.
/// - `sharing-agreements.yaml`: the data-sharing agreements.
/// - `organisations/<ODS>.yaml`: one organisation with its accredited systems and endpoints.
///
/// ``render(_:)`` writes the canonical form; reading then rendering canonical files gives the
/// same bytes. `Docs/routing-tables.md` describes every field.
public enum RoutingTableFiles {
    public static let interactionsFile = "interactions.yaml"
    public static let agreementsFile = "sharing-agreements.yaml"
    public static let organisationsFolder = "organisations"

    /// What reading a folder found: the tables and where each entry was written.
    public struct Loaded: Sendable {
        public var tables: DirectoryTables
        public var locations: [EntityRef: SourceLocation]
    }

    // MARK: Reading

    /// Reads and checks every file under `folder`.
    ///
    /// - Throws: ``DirectoryValidationError`` with every problem found (form and cross-entry
    ///   rules), each naming file, line, entry and rule.
    public static func read(folder: URL, validator: DirectoryValidator) throws(DirectoryValidationError) -> Loaded {
        var sources: [String: String] = [:]
        var issues: [ValidationIssue] = []
        let fileManager = FileManager.default
        func load(_ relative: String) {
            let url = folder.appendingPathComponent(relative)
            do {
                sources[relative] = try String(contentsOf: url, encoding: .utf8)
            } catch {
                issues.append(ValidationIssue(entry: nil, field: nil, rule: .missingField, message: "cannot read \(url.path): \(error.localizedDescription)",
                                              location: SourceLocation(file: relative)))
            }
        }
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DirectoryValidationError(issues: [ValidationIssue(entry: nil, field: nil, rule: .missingField,
                                                                    message: "routing tables folder \(folder.path) does not exist; give the folder that holds interactions.yaml and organisations/ (e.g. RoutingTables)")])
        }
        load(interactionsFile)
        if fileManager.fileExists(atPath: folder.appendingPathComponent(agreementsFile).path) { load(agreementsFile) }
        let organisations = folder.appendingPathComponent(organisationsFolder)
        let names = ((try? fileManager.contentsOfDirectory(atPath: organisations.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
        for name in names { load("\(organisationsFolder)/\(name)") }
        guard issues.isEmpty else { throw DirectoryValidationError(issues: issues) }
        return try parse(sources, validator: validator)
    }

    /// Parses file contents keyed by their path relative to the RoutingTables folder.
    public static func parse(_ sources: [String: String], validator: DirectoryValidator) throws(DirectoryValidationError) -> Loaded {
        var parser = Parser()
        for (path, text) in sources.sorted(by: { $0.key < $1.key }) {
            parser.parseFile(path, text)
        }
        var issues = parser.issues
        if issues.isEmpty {
            for var issue in validator.validate(parser.tables) {
                issue.location = issue.entry.flatMap { parser.locations[$0] }
                issues.append(issue)
            }
        }
        guard issues.isEmpty else { throw DirectoryValidationError(issues: issues.sorted(by: ValidationIssue.stableOrder)) }
        return Loaded(tables: parser.tables, locations: parser.locations)
    }

    private struct Parser {
        var tables = DirectoryTables()
        var locations: [EntityRef: SourceLocation] = [:]
        var issues: [ValidationIssue] = []

        mutating func parseFile(_ path: String, _ text: String) {
            let root: Node
            do {
                guard let node = try Yams.compose(yaml: text) else {
                    issues.append(ValidationIssue(entry: nil, field: nil, rule: .missingField, message: "file is empty", location: SourceLocation(file: path)))
                    return
                }
                root = node
            } catch let error as YamlError {
                issues.append(ValidationIssue(entry: nil, field: nil, rule: .malformedValue, message: "not valid YAML: \(Self.describe(error))",
                                              location: SourceLocation(file: path, line: Self.line(of: error))))
                return
            } catch {
                issues.append(ValidationIssue(entry: nil, field: nil, rule: .malformedValue, message: "not valid YAML: \(error)", location: SourceLocation(file: path)))
                return
            }
            if path == interactionsFile {
                for item in listItems(root, path: path, key: "interactions") { take(EntryReader.read(.interaction, item, file: path), path, .duplicateInteraction) }
            } else if path == agreementsFile {
                for item in listItems(root, path: path, key: "agreements") { take(EntryReader.read(.agreement, item, file: path), path, .duplicateAgreement) }
            } else {
                parseOrganisationFile(root, path)
            }
        }

        /// The items of the file's one top-level list, `key`.
        private mutating func listItems(_ root: Node, path: String, key: String) -> [Node] {
            guard var top = YAMLFieldReader(root, file: path, allowed: [key], issues: &issues, what: "the file") else { return [] }
            top.checkUnknownKeys()
            issues += top.issues
            guard let list = top.node(key) else {
                issues.append(ValidationIssue(entry: nil, field: key, rule: .missingField, message: "'\(key)' is required", location: SourceLocation(file: path, line: 1)))
                return []
            }
            return items(list, path: path, key: key)
        }

        private mutating func take(_ result: EntryReader.Result, _ path: String, _ duplicateRule: ValidationRule) {
            issues += result.issues
            if let entry = result.entry { record(entry, at: SourceLocation(file: path, line: result.line), duplicateRule: duplicateRule) }
        }

        private mutating func record(_ entry: DirectoryEntry, at location: SourceLocation, duplicateRule: ValidationRule) {
            let ref = entry.ref
            if let previous = locations[ref] {
                issues.append(ValidationIssue(entry: ref, field: nil, rule: duplicateRule, message: "\(ref) is also defined at \(previous)", location: location))
                return
            }
            locations[ref] = location
            tables.put(entry)
        }

        private mutating func parseOrganisationFile(_ root: Node, _ path: String) {
            guard var top = YAMLFieldReader(root, file: path, allowed: ["organisation", "systems", "endpoints"], issues: &issues, what: "the file") else { return }
            top.checkUnknownKeys()
            issues += top.issues
            guard let organisationNode = top.node("organisation"),
                  var reader = YAMLFieldReader(organisationNode, file: path, allowed: ["ods", "name", "kind", "status"], issues: &issues, what: "'organisation'")
            else {
                if top.node("organisation") == nil {
                    issues.append(ValidationIssue(entry: nil, field: "organisation", rule: .missingField, message: "'organisation' is required",
                                                  location: SourceLocation(file: path, line: 1)))
                }
                return
            }
            let ods = reader.identifier("ods", as: ODSCode.self, rule: .malformedODSCode)
            reader.entry = ods.map { EntityRef(.organisation, $0.rawValue) }
            reader.checkUnknownKeys()
            let name = reader.string("name")
            let kind = reader.choice("kind", as: Organisation.Kind.self)
            let status = reader.choice("status", as: RecordStatus.self, default: .active)
            let expectedName = (path as NSString).lastPathComponent
            if let ods, expectedName != "\(ods).yaml" {
                reader.report("ods", .fileNameMismatch, "organisation \(ods) must be in \(organisationsFolder)/\(ods).yaml", at: reader.node("ods"))
            }
            issues += reader.issues
            guard let ods, let name, let kind, let status else { return }
            record(.organisation(Organisation(ods: ods, name: name, kind: kind, status: status)),
                   at: SourceLocation(file: path, line: reader.line), duplicateRule: .duplicateODSCode)
            if let systems = top.node("systems") {
                let list = items(systems, path: path, key: "systems")
                for item in list { take(EntryReader.read(.system, item, file: path, ods: ods), path, .duplicateASID) }
            }
            if let endpoints = top.node("endpoints") {
                let list = items(endpoints, path: path, key: "endpoints")
                for item in list { take(EntryReader.read(.endpoint, item, file: path, ods: ods), path, .duplicateCPAID) }
            }
        }

        private mutating func items(_ node: Node, path: String, key: String) -> [Node] {
            guard case .sequence(let sequence) = node else {
                issues.append(ValidationIssue(entry: nil, field: key, rule: .malformedValue, message: "'\(key)' must be a list",
                                              location: SourceLocation(file: path, line: node.mark?.line)))
                return []
            }
            return Array(sequence)
        }

        static func line(of error: YamlError) -> Int? {
            switch error {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
            default: nil
            }
        }

        static func describe(_ error: YamlError) -> String {
            switch error {
            case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
            default: "\(error)"
            }
        }
    }
}
