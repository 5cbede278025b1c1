/// An Accredited System ID: the `uniqueIdentifier` of an SDS `nhsAs` entry, sent as `Ssp-From`
/// and `Ssp-To`. Twelve digits, e.g. `200000000359`.
public struct ASID: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "ASID"
    public static let length = 12

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard text.utf8.allSatisfy(CharacterRules.isDigit) else { return "must contain digits only" }
        guard text.utf8.count == length else { return "must be \(length) digits (has \(text.utf8.count))" }
        return nil
    }
}
