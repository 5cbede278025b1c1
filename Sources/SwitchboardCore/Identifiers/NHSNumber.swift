/// An NHS number: ten digits whose last is a modulus-11 check digit over the first nine
/// (NHS Data Dictionary). Sent as `https://fhir.nhs.uk/Id/nhs-number|9000000009`.
public struct NHSNumber: DomainIdentifier {
    public let rawValue: String
    public static let displayName = "NHS number"

    public init(trusted rawValue: String) { self.rawValue = rawValue }

    public static func problem(with text: Substring) -> String? {
        if text.isEmpty { return "is empty" }
        guard text.utf8.allSatisfy(CharacterRules.isDigit) else { return "must contain digits only" }
        guard text.utf8.count == 10 else { return "must be 10 digits (has \(text.utf8.count))" }
        let digits = text.utf8.map { Int($0 - 0x30) }
        guard let check = checkDigit(digits.prefix(9)) else { return "has no valid check digit (its first nine digits give 10)" }
        guard check == digits[9] else { return "fails its check digit (expected \(check))" }
        return nil
    }

    /// The check digit for nine digits, or nil when they give 10 (such numbers are never issued).
    public static func checkDigit(_ nine: some Collection<Int>) -> Int? {
        let sum = zip(nine, stride(from: 10, through: 2, by: -1)).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 11 - sum % 11
        switch check {
        case 11: return 0
        case 10: return nil
        default: return check
        }
    }
}
