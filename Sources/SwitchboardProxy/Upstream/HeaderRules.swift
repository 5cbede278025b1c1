import Foundation
public import NIOHTTP1

/// Which headers cross the proxy, in each direction (RFC 9110 §7.6.1 hop-by-hop fields are
/// dropped; Switchboard's own are added).
public enum HeaderRules {
    /// Hop-by-hop fields, plus those the proxy or the HTTP client sets itself.
    static let dropped: Set<String> = [
        "connection", "keep-alive", "te", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-connection",
        "trailer", "host", "content-length", "expect",
    ]
    /// Fields the proxy replaces with its own values on the way to the provider.
    static let replacedUpstream: Set<String> = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "x-correlation-id"]
    /// Fields the proxy replaces with its own values on the way back to the consumer.
    static let replacedDownstream: Set<String> = ["x-request-id", "ssp-traceid"]

    /// The names a `Connection` field lists (they are hop-by-hop too).
    static func connectionOptions(_ headers: HTTPHeaders) -> Set<String> {
        var names: Set<String> = []
        for value in headers["connection"] {
            for option in value.split(separator: ",") {
                names.insert(option.trimmingCharacters(in: .whitespaces).lowercased())
            }
        }
        return names
    }

    /// The headers to send to the provider: the consumer's end-to-end headers (the `Ssp-*`
    /// headers and `Authorization` untouched), plus `Forwarded`, `X-Forwarded-For`,
    /// `X-Request-ID` and `X-Correlation-ID`. Consumer-supplied forwarding headers are replaced:
    /// Switchboard is the edge, so only what it saw is true.
    public static func upstreamRequestHeaders(
        from incoming: HTTPHeaders, clientAddress: String, proxyHost: String, exchangeID: String, correlationID: String
    ) -> HTTPHeaders {
        let options = connectionOptions(incoming)
        var headers = HTTPHeaders()
        headers.reserveCapacity(incoming.count + 4)
        for (name, value) in incoming {
            let lower = name.lowercased()
            if dropped.contains(lower) || replacedUpstream.contains(lower) || options.contains(lower) { continue }
            headers.add(name: name, value: value)
        }
        let forwardedFor = clientAddress.contains(":") ? "\"[\(clientAddress)]\"" : clientAddress
        headers.add(name: "Forwarded", value: "for=\(forwardedFor);proto=https;host=\(proxyHost)")
        headers.add(name: "X-Forwarded-For", value: clientAddress)
        headers.add(name: "X-Request-ID", value: exchangeID)
        headers.add(name: "X-Correlation-ID", value: correlationID)
        return headers
    }

    /// The headers to send to the consumer: the provider's end-to-end headers (framing is the
    /// proxy's own), plus `X-Request-ID` and `Ssp-TraceID`.
    public static func downstreamResponseHeaders(from upstream: HTTPHeaders, exchangeID: String, traceID: String?) -> HTTPHeaders {
        let options = connectionOptions(upstream)
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.count + 2)
        for (name, value) in upstream {
            let lower = name.lowercased()
            if lower == "content-length" { headers.add(name: name, value: value); continue }
            if dropped.contains(lower) || replacedDownstream.contains(lower) || options.contains(lower) { continue }
            headers.add(name: name, value: value)
        }
        headers.add(name: "X-Request-ID", value: exchangeID)
        if let traceID { headers.add(name: "Ssp-TraceID", value: traceID) }
        return headers
    }
}
