/// The CPA id of an SDS `nhsMhs` entry (`nhsMhsCPAId`), which names one endpoint registration,
/// e.g. `S20001A000182`.
public struct CPAID: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "CPA id"

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard text.utf8.count <= 64 else { return "is longer than 64 characters" }
        guard text.utf8.allSatisfy({ CharacterRules.isAlphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { return "may contain only letters, digits, '-' and '_'" }
        return nil
    }
}
