import Foundation
import SwitchboardCore
import SwitchboardDirectory

/// The routing directory as the `switchboard routes` commands read and change it: opened from
/// the configuration, each operation returns the lines a person reads. Changes are recorded in
/// the history as the operator of this shell (`cli:<user>`).
public struct RoutesOperations: Sendable {
    /// What a command prints: `lines` on standard output, `notes` on standard error.
    public struct Output: Sendable {
        public var lines: [String] = []
        public var notes: [String] = []
    }

    /// A kind of directory entry, as the commands name it.
    public struct Kind: Sendable {
        let kind: EntityKind
        /// `organisation`, `system`, `endpoint`, `interaction` or `agreement`.
        public var name: String { kind.rawValue }
        /// How messages name it, e.g. "accredited system".
        public var displayName: String { kind.displayName }
        /// "a" or "an".
        public var article: String { "aeiou".contains(kind.displayName.first!) ? "an" : "a" }
        /// What its key is, e.g. "ASID".
        public var keyName: String {
            switch kind {
            case .organisation: "ODS code"
            case .system: "ASID"
            case .endpoint: "CPA id"
            case .interaction: "interaction URN"
            case .agreement: "agreement id"
            }
        }

        public static let organisation = Kind(kind: .organisation)
        public static let system = Kind(kind: .system)
        public static let endpoint = Kind(kind: .endpoint)
        public static let interaction = Kind(kind: .interaction)
        public static let agreement = Kind(kind: .agreement)
    }

    let configuration: SwitchboardConfiguration
    let operations: DirectoryOperations
    let directory: Directory

    /// Opens the configured directory store.
    public static func open(_ configuration: SwitchboardConfiguration) async throws -> RoutesOperations {
        let operations = DirectoryOperations(configuration: configuration.directory)
        let directory = try await reportingErrors { try await operations.openDirectory() }
        return RoutesOperations(configuration: configuration, operations: operations, directory: directory)
    }

    /// Checks a RoutingTables folder against every rule without opening the store.
    public static func validateFolder(_ folder: String?, configuration: SwitchboardConfiguration) async throws -> String {
        let url = URL(fileURLWithPath: folder ?? configuration.directory.routingTables)
        let loaded = try await reportingErrors { try DirectoryOperations(configuration: configuration.directory).readFolder(url) }
        return "\(url.path): valid — \(counts(loaded.tables))"
    }

    static func counts(_ tables: DirectoryTables) -> String {
        "\(tables.organisations.count) organisations, \(tables.systems.count) systems, \(tables.endpoints.count) endpoints, \(tables.interactions.count) interactions, \(tables.agreements.count) agreements"
    }

    static func author(_ reason: String?, source: ChangeAuthor.Source = .cli) -> ChangeAuthor {
        ChangeAuthor(actor: CommandLineOperator.actor, source: source, reason: reason)
    }

    static func kind(_ text: String?) throws -> EntityKind? {
        try text.map(kind)
    }

    static func kind(_ text: String) throws -> EntityKind {
        guard let kind = EntityKind(rawValue: text) else {
            throw OperationError("kind '\(text)' must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return kind
    }

    // MARK: Reading

    /// Entries, one table per kind (or one JSON object per line).
    public func list(kind: String?, ods: String?, includeRetired: Bool, json: Bool) throws -> [String] {
        let tables = directory.snapshot.tables
        var odsFilter: ODSCode?
        if let ods {
            do { odsFilter = try ODSCode(validating: ods) } catch { throw OperationError("--ods: \(error)") }
        }
        let kinds = try Self.kind(kind).map { [$0] } ?? EntityKind.allCases
        var lines: [String] = []
        var printedAny = false
        for kind in kinds {
            let entries = tables.entries.filter { entry in
                entry.ref.kind == kind && (includeRetired || entry.status == .active) && (odsFilter.map { Self.belongs(entry, to: $0) } ?? true)
            }
            if json {
                for entry in entries {
                    lines.append("{\"kind\":\"\(kind.rawValue)\",\"entry\":\(String(decoding: try entry.jsonData(), as: UTF8.self))}")
                }
                continue
            }
            guard !entries.isEmpty else { continue }
            if printedAny { lines.append("") }
            printedAny = true
            lines.append(TextTable.format(Self.header(kind), entries.map(Self.row)))
        }
        if !json && !printedAny { lines.append("no entries (import RoutingTables with `switchboard routes import`)") }
        return lines
    }

    static func belongs(_ entry: DirectoryEntry, to ods: ODSCode) -> Bool {
        switch entry {
        case .organisation(let o): o.ods == ods
        case .system(let s): s.ods == ods
        case .endpoint(let e): e.ods == ods
        case .interaction: false
        case .agreement(let a): a.consumer == .ods(ods) || a.provider == .ods(ods)
        }
    }

    static func header(_ kind: EntityKind) -> [String] {
        switch kind {
        case .organisation: ["ODS", "KIND", "STATUS", "NAME"]
        case .system: ["ASID", "ODS", "PARTY KEY", "SENDS", "RECEIVES", "STATUS", "NAME"]
        case .endpoint: ["CPA ID", "ODS", "PARTY KEY", "INTERACTIONS", "STATUS", "ADDRESS"]
        case .interaction: ["METHOD", "PATH", "SCOPE", "STATUS", "INTERACTION"]
        case .agreement: ["AGREEMENT", "CONSUMER", "PROVIDER", "INTERACTIONS", "STATUS"]
        }
    }

    static func row(_ entry: DirectoryEntry) -> [String] {
        switch entry {
        case .organisation(let o):
            return [o.ods.rawValue, o.kind.rawValue, o.status.rawValue, o.name]
        case .system(let s):
            return [s.asid.rawValue, s.ods.rawValue, s.partyKey.rawValue, "\(s.sends.count)", "\(s.receives.count)", s.status.rawValue, s.name]
        case .endpoint(let e):
            return [e.cpaID.rawValue, e.ods.rawValue, e.partyKey.rawValue, "\(e.interactions.count)", e.status.rawValue, e.address.rawValue]
        case .interaction(let i):
            return [i.method.rawValue, i.path.rawValue, i.scope, i.status.rawValue, i.id.rawValue]
        case .agreement(let a):
            let interactions = switch a.interactions {
            case .any: "any"
            case .only(let ids): "\(ids.count)"
            }
            return [a.id.rawValue, a.consumer.description, a.provider.description, interactions, a.status.rawValue]
        }
    }

    /// One entry in full, with the entries it is joined to.
    public func show(key: String, kind: String?) throws -> Output {
        let tables = directory.snapshot.tables
        let matches = (try Self.kind(kind).map { [$0] } ?? EntityKind.allCases).compactMap { tables[EntityRef($0, key)] }
        guard let entry = matches.first else { throw OperationError("no directory entry has the key '\(key)'") }
        var output = Output()
        if matches.count > 1 { output.notes.append("note: '\(key)' names \(matches.count) entries; showing the \(entry.ref.kind.displayName) (use --kind)") }
        output.lines = [entry.ref.description, try SwitchboardJSON.prettyText(entry)]
        switch entry {
        case .organisation(let o):
            let systems = tables.systems.values.filter { $0.ods == o.ods }.map(\.asid.rawValue).sorted()
            let endpoints = tables.endpoints.values.filter { $0.ods == o.ods }.map(\.cpaID.rawValue).sorted()
            output.lines.append("systems: \(systems.isEmpty ? "none" : systems.joined(separator: ", "))")
            output.lines.append("endpoints: \(endpoints.isEmpty ? "none" : endpoints.joined(separator: ", "))")
        case .system(let s):
            for interaction in s.receives {
                let endpoint = directory.snapshot.endpoint(partyKey: s.partyKey, interaction: interaction)
                output.lines.append("route: \(interaction) -> \(endpoint.map { "\($0.address) (\($0.cpaID))" } ?? "no active endpoint")")
            }
        case .endpoint(let e):
            let systems = tables.systems.values.filter { $0.partyKey == e.partyKey }.map(\.asid.rawValue).sorted()
            output.lines.append("systems with party key \(e.partyKey): \(systems.joined(separator: ", "))")
        case .interaction, .agreement:
            break
        }
        return output
    }

    /// Recorded changes, newest first, each with the fields it changed.
    public func history(key: String?, kind: String?, limit: Int) async throws -> [String] {
        let kind = try Self.kind(kind)
        var query = HistoryQuery(kind: kind, limit: limit)
        if let key {
            let tables = directory.snapshot.tables
            let kinds = kind.map { [$0] } ?? EntityKind.allCases
            let found = kinds.first { tables[EntityRef($0, key)] != nil } ?? kind
            guard let found else { throw OperationError("no directory entry has the key '\(key)' (give --kind for a removed entry)") }
            query.entry = EntityRef(found, key)
        }
        let records = try await Self.reportingErrors { try await directory.store.history(query) }
        if records.isEmpty { return ["no recorded changes"] }
        var lines: [String] = []
        for record in records {
            let reason = record.author.reason.map { " — \($0)" } ?? ""
            lines.append("#\(record.sequence)  \(Timestamp.rfc3339(record.at))  \(record.author.actor) (\(record.author.source.rawValue))  \(record.action.rawValue)  \(record.ref)\(reason)")
            lines += try Self.fieldChanges(before: record.before, after: record.after).map { "    \($0)" }
        }
        return lines
    }

    static func fieldChanges(before: DirectoryEntry?, after: DirectoryEntry?) throws -> [String] {
        let encoder = SwitchboardJSON.encoder()
        func fields(_ entry: DirectoryEntry?) throws -> [String: String] {
            guard let entry, case .object(let members)? = JSONValue.parse(Array(try entry.jsonData())) else { return [:] }
            return try Dictionary(members.map { ($0.key, String(decoding: try encoder.encode($0.value), as: UTF8.self)) }) { first, _ in first }
        }
        let old = try fields(before), new = try fields(after)
        return Set(old.keys).union(new.keys).sorted().filter { $0 != "version" && old[$0] != new[$0] }.map { key in
            "\(key): \(old[key] ?? "—") → \(new[key] ?? "—")"
        }
    }

    // MARK: Changing

    public func add(_ kind: Kind, key: String, fields: EntryFields, reason: String?) async throws -> [String] {
        let entry = try fields.entry(kind.kind, key: key, existing: nil)
        let applied = try await Self.reportingErrors { try await directory.apply([.create(entry)], author: Self.author(reason)) }
        return Self.changeLines(applied.changes)
    }

    /// Changes the given fields (and `status`, `active` or `retired`) of an existing entry.
    public func update(_ kind: Kind, key: String, fields: EntryFields, status: String?, reason: String?, expectedVersion: Int?) async throws -> [String] {
        let ref = EntityRef(kind.kind, key)
        guard let existing = directory.snapshot.tables[ref] else { throw OperationError("\(ref) does not exist (add it with `routes add`)") }
        var entry = try fields.entry(kind.kind, key: key, existing: existing)
        if let status: RecordStatus = try EntryFields.choice(status, "--status") { entry.status = status }
        let applied = try await Self.reportingErrors {
            try await directory.apply([.update(entry, expectedVersion: expectedVersion)], author: Self.author(reason))
        }
        return Self.changeLines(applied.changes)
    }

    public func retire(kind: String, key: String, reason: String?, expectedVersion: Int?) async throws -> [String] {
        let kind: EntityKind = try Self.kind(kind)
        let applied = try await Self.reportingErrors {
            try await directory.apply([.retire(EntityRef(kind, key), expectedVersion: expectedVersion)], author: Self.author(reason))
        }
        return Self.changeLines(applied.changes)
    }

    /// Makes the store equal to a RoutingTables folder (default: `directory.routingTables`).
    public func importFolder(_ folder: String?, dryRun: Bool, reason: String?) async throws -> [String] {
        let url = URL(fileURLWithPath: folder ?? configuration.directory.routingTables)
        let changes = try await Self.reportingErrors {
            try await operations.importFolder(url, into: directory, author: Self.author(reason, source: .import), dryRun: dryRun)
        }
        return Self.changeLines(changes, dryRun: dryRun)
    }

    /// Writes the store out as a RoutingTables folder (default: `directory.routingTables`).
    public func exportFolder(_ folder: String?) async throws -> String {
        let url = URL(fileURLWithPath: folder ?? configuration.directory.routingTables)
        try await Self.reportingErrors { try operations.exportFolder(url, from: directory) }
        return "exported \(Self.counts(directory.snapshot.tables)) to \(url.path)"
    }

    /// Merges the nhsAs and nhsMhs entries of an SDS LDIF export.
    public func importLDIF(_ file: String, dryRun: Bool, reason: String?) async throws -> [String] {
        let outcome = try await Self.reportingErrors {
            try await operations.importLDIF(URL(fileURLWithPath: file), into: directory, author: Self.author(reason, source: .ldif), dryRun: dryRun)
        }
        return outcome.notes.map { "note: \($0)" } + Self.changeLines(outcome.changes, dryRun: dryRun)
    }

    /// What a batch changed, one line per entry, then a count by action.
    static func changeLines(_ changes: [EntryChange], dryRun: Bool = false) -> [String] {
        if changes.isEmpty { return [dryRun ? "no changes would be made" : "no changes: the directory already says this"] }
        var lines = changes.map { "\(dryRun ? "would be " : "")\($0.action.rawValue)  \($0.ref)" }
        let counts = Dictionary(grouping: changes, by: \.action).mapValues(\.count)
        let summary = EntryChange.Action.allCases.compactMap { action in counts[action].map { "\($0) \(action.rawValue)" } }.joined(separator: ", ")
        lines.append("\(changes.count) change\(changes.count == 1 ? "" : "s")\(dryRun ? " (dry run, nothing written)" : ""): \(summary)")
        return lines
    }

    // MARK: Errors

    /// Runs `body`, turning directory errors into one-line errors with one detail line per problem.
    static func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch {
            throw describe(error)
        }
    }

    static func describe(_ error: any Error) -> any Error {
        switch error {
        case let error as DirectoryValidationError: report(error)
        case DirectoryChangeError.invalid(let error): report(error)
        case let error as DirectoryChangeError: OperationError(error.description)
        case let error as DirectoryStoreError: OperationError(error.description)
        default: error
        }
    }

    static func report(_ error: DirectoryValidationError) -> OperationError {
        // A single problem that belongs to no file line (a folder that is not there) is the message itself.
        if error.issues.count == 1, let issue = error.issues.first, issue.location == nil, issue.entry == nil {
            return OperationError("nothing changed: \(issue.message)")
        }
        let first = error.issues.first.map { " (first: \($0.rule.rawValue))" } ?? ""
        return OperationError("nothing changed: \(error.issues.count) validation error\(error.issues.count == 1 ? "" : "s")\(first)",
                              details: error.issues.map(\.description))
    }
}
