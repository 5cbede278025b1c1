import NIOCore
import NIOHTTP1
import SwitchboardCore

/// Browser access: which origins may call the proxy, the headers an allowed origin's answers
/// carry, and the answer to a CORS pre-flight (`OPTIONS` with `Access-Control-Request-Method`).
struct CORSPolicy: Sendable {
    var allowedOrigins: Set<String>

    func addHeaders(_ headers: inout HTTPHeaders, request: HTTPRequestHead) {
        guard !allowedOrigins.isEmpty, let origin = request.headers.first(name: "origin"), allowedOrigins.contains(origin) else { return }
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Access-Control-Expose-Headers", value: "X-Request-ID, Ssp-TraceID, Location, ETag")
        headers.add(name: "Vary", value: "Origin")
    }

    /// The pre-flight's origin when `head` is one; `nil` for any other request.
    static func preflightOrigin(_ head: HTTPRequestHead) -> String? {
        guard head.method == .OPTIONS, let origin = head.headers.first(name: "origin"),
              head.headers.first(name: "access-control-request-method") != nil else { return nil }
        return origin
    }

    static let corsRefusal = ProxyRefusal(status: 403, issueType: .forbidden, phase: .validate, rule: "CORS_ORIGIN_NOT_ALLOWED")

    /// The `204` for a pre-flight from `origin`, or the refusal when it is not allowed.
    func preflight(origin: String, request: HTTPRequestHead, exchangeID: String, traceID: String, keepAlive: Bool) throws(ProxyRefusal) -> ProxyAnswer {
        guard allowedOrigins.contains(origin) else { throw Self.corsRefusal }
        var headers = HTTPHeaders()
        headers.add(name: "Access-Control-Allow-Origin", value: origin)
        headers.add(name: "Access-Control-Allow-Methods", value: HTTPMethodName.allCases.map(\.rawValue).joined(separator: ", "))
        headers.add(name: "Access-Control-Allow-Headers", value: "Ssp-TraceID, Ssp-From, Ssp-To, Ssp-InteractionID, Authorization, Accept, Content-Type, If-Match, X-Correlation-ID")
        headers.add(name: "Access-Control-Expose-Headers", value: "X-Request-ID, Ssp-TraceID, Location, ETag")
        headers.add(name: "Access-Control-Max-Age", value: "600")
        headers.add(name: "Vary", value: "Origin")
        headers.add(name: "X-Request-ID", value: exchangeID)
        headers.add(name: "Ssp-TraceID", value: traceID)
        headers.add(name: "Content-Length", value: "0")
        return ProxyAnswer(version: request.version, status: 204, headers: headers, body: ByteBuffer(), keepAlive: keepAlive, resource: false)
    }
}
