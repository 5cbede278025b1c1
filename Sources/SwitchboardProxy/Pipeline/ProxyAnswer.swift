import NIOCore
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore

/// An answer Switchboard makes itself (a refusal or a locally answered request): one head and a
/// body small enough to write at once.
struct ProxyAnswer {
    var head: HTTPResponseHead
    var body: ByteBuffer
    /// Whether the connection may carry another request after this answer.
    var keepAlive: Bool

    /// - Parameter resource: whether the answer is a resource (which carries ``ownAnswerHeaders``)
    ///   rather than a CORS pre-flight's permission.
    init(version: HTTPVersion, status: Int, headers: HTTPHeaders, body: ByteBuffer, keepAlive: Bool, resource: Bool = true) {
        var headers = headers
        if resource { headers.add(contentsOf: Self.ownAnswerHeaders) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        self.head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: status, reasonPhrase: Self.reasonPhrase(status)),
                                     headers: headers)
        self.body = body
        self.keepAlive = keepAlive
    }

    /// Headers on every answer Switchboard makes itself (not on a provider's, which pass as
    /// sent): HTTPS only from now on, and no content sniffing.
    static let ownAnswerHeaders = [("Strict-Transport-Security", "max-age=31536000"), ("X-Content-Type-Options", "nosniff")]

    static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 400: "Bad Request"
        case 403: "Forbidden"
        case 404: "Not Found"
        case 405: "Method Not Allowed"
        case 413: "Content Too Large"
        case 429: "Too Many Requests"
        case 431: "Request Header Fields Too Large"
        case 495: "SSL Certificate Error"
        case 496: "SSL Certificate Required"
        case 497: "HTTP Request Sent to HTTPS Port"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 504: "Gateway Timeout"
        default: HTTPResponseStatus(statusCode: status).reasonPhrase
        }
    }
}

extension ProxyRefusal {
    /// What the audit record says of an exchange this refusal answered.
    var outcome: ExchangeRecord.Outcome {
        switch status {
        case 502 where phase == .forward: .upstreamFailed
        case 504: .upstreamTimeout
        default: .refused
        }
    }

    /// Marks `record` as answered by this refusal.
    func mark(_ record: inout ExchangeRecord) {
        record.refusalPhase = phase.rawValue
        record.refusalRule = rule
        record.refusalToken = token
        record.outcome = outcome
        record.status = status
    }

    /// The refusal as an answer: its status, an OperationOutcome (XML when the consumer prefers
    /// it), its own headers, the exchange id and trace id, and CORS headers for an allowed origin.
    func answer(exchangeID: String, traceID: String, request: HTTPRequestHead?, cors: CORSPolicy, keepAlive: Bool) -> ProxyAnswer {
        let outcome = OperationOutcome(id: exchangeID, status: status, issueType: issueType, token: token)
        let xml = OperationOutcome.prefersXML(accept: request?.headers.first(name: "accept"))
        let body = xml ? outcome.xml : outcome.json
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: xml ? OperationOutcome.xmlContentType : OperationOutcome.jsonContentType)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Request-ID", value: exchangeID)
        headers.add(name: "Ssp-TraceID", value: traceID)
        headers.add(contentsOf: self.headers)
        if let request { cors.addHeaders(&headers, request: request) }
        return ProxyAnswer(version: request?.version ?? .http1_1, status: status, headers: headers, body: ByteBuffer(string: body),
                           keepAlive: keepAlive && !closesConnection)
    }
}
