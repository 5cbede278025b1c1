/// An error Switchboard answers itself, as a FHIR STU3 `OperationOutcome` in the Spine Secure
/// Proxy's format: the HTTP status as the code, an upper-case token as display and diagnostics,
/// coding system `http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0`.
public struct OperationOutcome: Hashable, Sendable {
    /// FHIR `IssueType` codes Switchboard uses.
    public enum IssueType: String, Hashable, Sendable {
        case invalid, forbidden, security, throttled, transient, timeout, exception, tooLong = "too-long", notSupported = "not-supported"
        case notFound = "not-found"
    }

    public static let codingSystem = "http://fhir.nhs.net/ValueSet/gpconnect-schedule-response-code-1-0"

    /// The resource id; Switchboard uses the exchange's audit id.
    public var id: String
    public var status: Int
    public var issueType: IssueType
    public var token: String

    public init(id: String, status: Int, issueType: IssueType, token: String) {
        self.id = id
        self.status = status
        self.issueType = issueType
        self.token = token
    }

    /// `application/fhir+json;charset=utf-8` rendering.
    public var json: String {
        let token = JSONText.escape(self.token)
        return #"{"resourceType":"OperationOutcome","id":"\#(JSONText.escape(id))","issue":[{"severity":"error","code":"\#(issueType.rawValue)","details":{"coding":[{"system":"\#(Self.codingSystem)","code":"\#(status)","display":"\#(token)"}]},"diagnostics":"\#(token)"}]}"#
    }

    /// `application/fhir+xml;charset=utf-8` rendering.
    public var xml: String {
        let token = XMLText.escape(self.token)
        return #"<OperationOutcome xmlns="http://hl7.org/fhir"><id value="\#(XMLText.escape(id))"/><issue><severity value="error"/><code value="\#(issueType.rawValue)"/><details><coding><system value="\#(Self.codingSystem)"/><code value="\#(status)"/><display value="\#(token)"/></coding></details><diagnostics value="\#(token)"/></issue></OperationOutcome>"#
    }

    /// Which rendering a consumer's `Accept` header asks for: XML only when it names
    /// `application/fhir+xml` (or `application/xml+fhir`) and not FHIR JSON; JSON otherwise.
    public static func prefersXML(accept: String?) -> Bool {
        guard let accept = accept?.lowercased() else { return false }
        let wantsXML = accept.contains("application/fhir+xml") || accept.contains("application/xml+fhir")
        let wantsJSON = accept.contains("application/fhir+json") || accept.contains("application/json+fhir")
        return wantsXML && !wantsJSON
    }

    public static let jsonContentType = "application/fhir+json;charset=utf-8"
    public static let xmlContentType = "application/fhir+xml;charset=utf-8"
}

/// Escaping for text placed inside a JSON string.
public enum JSONText {
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Escaping for text placed inside an XML attribute value.
public enum XMLText {
    public static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "&") || $0 == UInt8(ascii: "<") || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "'") || $0 < 0x20 })
        else { return text }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&apos;"
            case _ where scalar.value < 0x20: result += "&#\(scalar.value);"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
