/// An SDS party key (`nhsMhsPartyKey`): the key that joins an accredited system to its message
/// handling server entries, e.g. `A81001-0000801`. An ODS-style prefix, a hyphen, digits.
public struct PartyKey: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "party key"

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        let bytes = Array(text.utf8)
        guard bytes.count <= 32, let dash = bytes.firstIndex(of: UInt8(ascii: "-")) else {
            return "must have the form <ODS code>-<digits>"
        }
        let prefix = bytes[..<dash]
        let suffix = bytes[(dash + 1)...]
        guard (3...10).contains(prefix.count), prefix.allSatisfy(CharacterRules.isUpperAlphanumeric),
              (4...10).contains(suffix.count), suffix.allSatisfy(CharacterRules.isDigit)
        else { return "must have the form <ODS code>-<4 to 10 digits>" }
        return nil
    }
}
