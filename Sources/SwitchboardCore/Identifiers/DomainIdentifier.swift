/// A value parsed from untrusted text and known to be well-formed for its domain rule.
///
/// Each conforming type validates once, at the edge (a header, a file, an API body), so code that
/// holds one never checks it again.
public protocol DomainIdentifier: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The text as it appears in SDS, headers and files.
    var rawValue: String { get }

    /// The name of the thing, as an error message says it ("ASID", "ODS code").
    static var displayName: String { get }

    /// Why `text` is not well-formed, or `nil` when it is.
    static func problem(with text: Substring) -> String?

    /// Wraps text already known to be well-formed (read back from a store that validated it).
    init(trusted rawValue: String)
}

/// Why a piece of text is not a well-formed identifier.
public struct IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The identifier kind, e.g. "ASID".
    public var kind: String
    /// The text that was refused.
    public var text: String
    /// The rule it breaks, e.g. "must be 12 digits".
    public var reason: String

    public init(kind: String, text: String, reason: String) {
        self.kind = kind
        self.text = text
        self.reason = reason
    }

    public var description: String { "\(kind) '\(text.prefix(80))' \(reason)" }
}

extension DomainIdentifier {
    /// Parses `text`, throwing an error that names the rule it breaks.
    public init(validating text: some StringProtocol) throws(IdentifierError) {
        let slice = Substring(text)
        if let reason = Self.problem(with: slice) {
            throw IdentifierError(kind: Self.displayName, text: String(slice), reason: reason)
        }
        self.init(trusted: String(slice))
    }

    /// Parses `text`, or returns `nil` when it is not well-formed.
    public init?(_ text: some StringProtocol) {
        let slice = Substring(text)
        guard Self.problem(with: slice) == nil else { return nil }
        self.init(trusted: String(slice))
    }

    public var description: String { rawValue }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(validating: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// ASCII byte classes used by the identifier and URL rules.
public enum CharacterRules {
    public static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
    public static func isUpper(_ byte: UInt8) -> Bool { byte >= 0x41 && byte <= 0x5A }
    public static func isLower(_ byte: UInt8) -> Bool { byte >= 0x61 && byte <= 0x7A }
    public static func isUpperAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isUpper(byte) }
    public static func isAlphanumeric(_ byte: UInt8) -> Bool { isDigit(byte) || isUpper(byte) || isLower(byte) }
}
