/// An Organisation Data Service code, e.g. `A81001` (a GP practice) or `RYE` (an NHS trust).
/// Upper-case letters and digits, 3 to 10 characters.
public struct ODSCode: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "ODS code"

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard (3...10).contains(text.utf8.count) else { return "must be 3 to 10 characters" }
        guard text.utf8.allSatisfy(CharacterRules.isUpperAlphanumeric) else {
            return "must contain upper-case letters and digits only"
        }
        return nil
    }
}
