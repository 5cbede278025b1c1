/// Where NHS numbers appear in what Switchboard records, so that they can be looked up by a keyed
/// hash and never kept in clear: a FHIR identifier in a URL (`identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009`,
/// the `|` also as `%7C`), an audit query (`nhs-number=9000000009`), and identifiers in a request
/// body (`{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9000000009"}`).
public enum NHSNumberText {
    /// What replaces an NHS number in recorded text.
    public static let redaction = "[nhs-number]"

    /// `text` with every NHS number written after `nhs-number|`, `nhs-number%7C` or `nhs-number=`
    /// replaced by ``redaction``, and the numbers found there that pass their check digit.
    public static func redacting(_ text: String) -> (text: String, numbers: [NHSNumber]) {
        // Most URLs name none: one search, no copy.
        guard mentionsNHSNumber(text) else { return (text, []) }
        var numbers: [NHSNumber] = []
        let redacted = text.replacing(/(?i)(nhs-number(?:\||%7C|=))([^&#\s]*)/) { match in
            if let number = NHSNumber(String(match.2)) { numbers.append(number) }
            return match.1 + (match.2.isEmpty ? "" : redaction)
        }
        return (redacted, numbers)
    }

    private static let marker = Array("nhs-number".utf8)

    /// Whether `text` holds `nhs-number` in any case (on every exchange's URL: no copy).
    private static func mentionsNHSNumber(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count > marker.count else { return false }
            for start in 0...(bytes.count - marker.count) where ASCII.lowered(bytes[start]) == marker[0] {
                if ASCII.equalIgnoringCase(bytes[start..<(start + marker.count)], marker) { return true }
            }
            return false
        }
    }

    /// The valid NHS numbers of the identifiers anywhere in a JSON document, in document order.
    public static func identifiers(in document: JSONValue) -> [NHSNumber] {
        var numbers: [NHSNumber] = []
        func visit(_ value: JSONValue) {
            switch value {
            case .array(let items):
                items.forEach(visit)
            case .object(let members):
                if case .string(GPConnect.System.nhsNumber)? = members.first(where: { $0.key == "system" })?.value,
                   case .string(let text)? = members.first(where: { $0.key == "value" })?.value, let number = NHSNumber(text) {
                    numbers.append(number)
                }
                members.forEach { visit($0.value) }
            default:
                break
            }
        }
        visit(document)
        return numbers
    }
}
