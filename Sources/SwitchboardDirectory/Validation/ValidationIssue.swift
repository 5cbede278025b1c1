/// The rules a routing table can break. The raw value is the stable token that messages, the
/// admin API and tests use.
public enum ValidationRule: String, CaseIterable, Hashable, Sendable, Codable {
    // Form of a single value.
    case malformedASID = "malformed-asid"
    case malformedODSCode = "malformed-ods-code"
    case malformedPartyKey = "malformed-party-key"
    case malformedCPAID = "malformed-cpa-id"
    case malformedInteractionID = "malformed-interaction-id"
    case malformedAgreementID = "malformed-agreement-id"
    case malformedSelector = "malformed-selector"
    case malformedPathPattern = "malformed-path-pattern"
    case malformedFQDN = "malformed-fqdn"
    case malformedValue = "malformed-value"
    case endpointNotHTTPS = "endpoint-not-https"
    case malformedEndpointAddress = "malformed-endpoint-address"
    case endpointHostNotAllowed = "endpoint-host-not-allowed"
    case missingField = "missing-field"
    case unknownField = "unknown-field"
    case emptyName = "empty-name"
    // Uniqueness.
    case duplicateODSCode = "duplicate-ods-code"
    case duplicateASID = "duplicate-asid"
    case duplicateCPAID = "duplicate-cpa-id"
    case duplicateInteraction = "duplicate-interaction"
    case duplicateAgreement = "duplicate-agreement"
    case duplicatePartyKey = "duplicate-party-key"
    case duplicateRoute = "duplicate-route"
    // References.
    case unknownODSCode = "unknown-ods-code"
    case unknownPartyKey = "unknown-party-key"
    case unknownASID = "unknown-asid"
    case interactionNotInCatalogue = "interaction-not-in-catalogue"
    case interactionRetired = "interaction-retired"
    case organisationRetired = "organisation-retired"
    case consumerFQDNMissing = "consumer-fqdn-missing"
    case receivesWithoutEndpoint = "receives-without-endpoint"
    case endpointInteractionNotReceived = "endpoint-interaction-not-received"
    case endpointWithoutInteractions = "endpoint-without-interactions"
    case fileNameMismatch = "file-name-mismatch"
}

/// Where an entry was read from, so a message can send an administrator to the line.
public struct SourceLocation: Hashable, Sendable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int?

    public init(file: String, line: Int? = nil) {
        self.file = file
        self.line = line
    }

    public var description: String { line.map { "\(file):\($0)" } ?? file }
}

/// One broken rule: which entry, which field, which rule, and a sentence an administrator can act on.
public struct ValidationIssue: Hashable, Sendable, Codable, CustomStringConvertible {
    public var entry: EntityRef?
    public var field: String?
    public var rule: ValidationRule
    public var message: String
    public var location: SourceLocation?

    public init(entry: EntityRef?, field: String?, rule: ValidationRule, message: String, location: SourceLocation? = nil) {
        self.entry = entry
        self.field = field
        self.rule = rule
        self.message = message
        self.location = location
    }

    /// Orders issues by entry, field, rule and message, so reports are stable.
    public static func stableOrder(_ lhs: ValidationIssue, _ rhs: ValidationIssue) -> Bool {
        func key(_ issue: ValidationIssue) -> (String, String, String, String, String) {
            (issue.location?.description ?? "", issue.entry.map { "\($0.kind.rawValue) \($0.key)" } ?? "", issue.field ?? "", issue.rule.rawValue, issue.message)
        }
        return key(lhs) < key(rhs)
    }

    /// `file:line: accredited system 918999198001: field partyKey: unknown-party-key: …`
    public var description: String {
        var parts: [String] = []
        if let location { parts.append(location.description) }
        if let entry { parts.append(entry.description) }
        if let field { parts.append("field \(field)") }
        parts.append("\(rule.rawValue): \(message)")
        return parts.joined(separator: ": ")
    }
}

/// A set of changes or files was refused because it breaks these rules; nothing was applied.
public struct DirectoryValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var issues: [ValidationIssue]

    public init(issues: [ValidationIssue]) { self.issues = issues }

    public var description: String {
        let shown = issues.prefix(50).map(\.description)
        let more = issues.count > 50 ? ["… and \(issues.count - 50) more"] : []
        return (["\(issues.count) validation error\(issues.count == 1 ? "" : "s"):"] + shown + more).joined(separator: "\n  ")
    }
}
