import SwitchboardCore
import Yams

/// Reads one YAML mapping as a directory entry's fields, collecting an issue (with file and line)
/// for each missing, unknown or malformed field instead of stopping at the first.
struct YAMLFieldReader {
    let file: String
    let mapping: Node.Mapping
    let line: Int?
    var entry: EntityRef?
    var issues: [ValidationIssue] = []
    private var allowed: Set<String>

    init?(_ node: Node, file: String, allowed: Set<String>, issues: inout [ValidationIssue], what: String) {
        guard case .mapping(let mapping) = node else {
            issues.append(ValidationIssue(entry: nil, field: nil, rule: .malformedValue, message: "\(what) must be a mapping of fields",
                                          location: SourceLocation(file: file, line: node.mark.map { $0.line })))
            return nil
        }
        self.file = file
        self.mapping = mapping
        self.line = node.mark?.line
        self.allowed = allowed
    }

    private func location(_ node: Node?) -> SourceLocation {
        SourceLocation(file: file, line: node?.mark?.line ?? line)
    }

    mutating func report(_ field: String?, _ rule: ValidationRule, _ message: String, at node: Node? = nil) {
        issues.append(ValidationIssue(entry: entry, field: field, rule: rule, message: message, location: location(node)))
    }

    /// Reports every key not in the allowed set.
    mutating func checkUnknownKeys() {
        for (key, _) in mapping {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                report(name, .unknownField, "unknown field '\(name)' (expected one of: \(allowed.sorted().joined(separator: ", ")))", at: key)
            }
        }
    }

    func node(_ field: String) -> Node? { mapping[field] }

    mutating func string(_ field: String, required: Bool = true) -> String? {
        guard let node = mapping[field] else {
            if required { report(field, .missingField, "'\(field)' is required") }
            return nil
        }
        guard case .scalar(let scalar) = node else {
            report(field, .malformedValue, "'\(field)' must be a single value", at: node)
            return nil
        }
        return scalar.string
    }

    mutating func identifier<T: DomainIdentifier>(_ field: String, as type: T.Type, rule: ValidationRule, required: Bool = true) -> T? {
        guard let text = string(field, required: required) else { return nil }
        do { return try T(validating: text) } catch {
            report(field, rule, error.description, at: mapping[field])
            return nil
        }
    }

    mutating func choice<T: RawRepresentable & CaseIterable>(_ field: String, as type: T.Type, default value: T? = nil) -> T? where T.RawValue == String {
        guard let text = string(field, required: value == nil) else { return value }
        guard let parsed = T(rawValue: text) else {
            report(field, .malformedValue, "'\(text)' must be one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))", at: mapping[field])
            return nil
        }
        return parsed
    }

    /// A list of interaction URNs; absent means empty.
    mutating func interactions(_ field: String) -> [InteractionID]? {
        guard let node = mapping[field] else { return [] }
        guard case .sequence(let sequence) = node else {
            report(field, .malformedValue, "'\(field)' must be a list of interaction URNs", at: node)
            return nil
        }
        var result: [InteractionID] = []
        var ok = true
        for item in sequence {
            guard let text = item.scalar?.string else {
                report(field, .malformedValue, "each item of '\(field)' must be an interaction URN", at: item)
                ok = false
                continue
            }
            do { result.append(try InteractionID(validating: text)) } catch {
                report(field, .malformedInteractionID, error.description, at: item)
                ok = false
            }
        }
        return ok ? result : nil
    }
}
