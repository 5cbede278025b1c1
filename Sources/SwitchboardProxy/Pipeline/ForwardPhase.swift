import NIOCore
import NIOHTTP1

/// Forward: the request as the provider receives it — the consumer's end-to-end headers, the
/// proxy's forwarding headers, `Host` and the body's framing; the body itself streams through a
/// ``RequestBodyBridge``. A sent request is never retried.
struct ForwardPhase {
    var proxyHost: String

    /// The upstream request for an admitted exchange; throws when the target cannot be requested.
    func request(_ context: ExchangeContext, body: RequestFraming.Body) throws(UpstreamError) -> UpstreamRequest {
        let target = context.target!
        let exchangeID = context.exchangeID
        var headers = HeaderRules.upstreamRequestHeaders(
            from: context.head.headers, clientAddress: context.client.address, proxyHost: proxyHost,
            exchangeID: exchangeID, correlationID: context.correlationID ?? exchangeID)
        headers.add(name: "Host", value: String(target.authority))
        switch body {
        case .none:
            switch context.head.method {
            case .POST, .PUT, .PATCH: headers.add(name: "Content-Length", value: "0")
            default: break
            }
        case .length(let length): headers.add(name: "Content-Length", value: String(length))
        case .chunked: headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        var uri = target.path.isEmpty ? "/" : String(target.path)
        if let query = target.query {
            uri += "?"
            uri += query
        }
        let head = HTTPRequestHead(version: .http1_1, method: context.head.method, uri: uri, headers: headers)
        return UpstreamRequest(origin: try ProviderOrigin(authority: target.authority), head: head, hasBody: body != .none)
    }

    /// Whether the consumer asked to be told to go on before sending its body.
    static func expectsContinue(_ head: HTTPRequestHead) -> Bool {
        head.headers["expect"].contains { $0.lowercased() == "100-continue" }
    }

    /// The refusal for a request that failed upstream before its answer began.
    static func refusal(for error: any Error, target: String) -> ProxyRefusal {
        if let own = error as? ProxyRefusal { return own }
        if let upstream = error as? UpstreamError, upstream.isTimeout { return .upstreamTimeout(target) }
        if case .certificateRefused(let refusal) = error as? UpstreamError {
            if case .revoked = refusal { return .upstreamCertificateRefused(target, revoked: true) }
            return .upstreamCertificateRefused(target, revoked: false)
        }
        return .upstreamUnreachable(target)
    }
}
