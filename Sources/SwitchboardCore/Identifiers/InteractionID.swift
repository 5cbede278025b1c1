/// A Spine interaction URN, sent as `Ssp-InteractionID`, e.g.
/// `urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1`.
public struct InteractionID: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "interaction ID"
    public static let prefix = "urn:nhs:names:services:"
    public static let maximumLength = 200

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard text.utf8.count <= maximumLength else { return "is longer than \(maximumLength) characters" }
        guard text.hasPrefix(prefix), text.utf8.count > prefix.utf8.count else {
            return "must be a URN beginning '\(prefix)'"
        }
        let allowed = text.utf8.allSatisfy { byte in
            CharacterRules.isAlphanumeric(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        guard allowed else { return "may contain only letters, digits and ':._-'" }
        return nil
    }
}
