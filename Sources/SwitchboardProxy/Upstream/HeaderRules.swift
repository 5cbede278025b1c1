public import NIOHTTP1
import SwitchboardCore

/// Which headers cross the proxy, in each direction (RFC 9110 §7.6.1 hop-by-hop fields are
/// dropped; Switchboard's own are added).
public enum HeaderRules {
    /// Hop-by-hop fields, plus those the proxy or the HTTP client sets itself.
    static let dropped = [
        "connection", "keep-alive", "te", "transfer-encoding", "upgrade", "proxy-authorization", "proxy-connection",
        "trailer", "host", "content-length", "expect",
    ]
    /// Fields the proxy replaces with its own values on the way to the provider.
    static let replacedUpstream = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-request-id", "x-correlation-id"]
    /// Fields the proxy replaces with its own values on the way back to the consumer.
    static let replacedDownstream = ["x-request-id", "ssp-traceid"]

    /// Whether `name` is `lowercase` (ASCII, any case), without making a lower-cased copy.
    static func named(_ name: String, _ lowercase: String) -> Bool {
        name.utf8.count == lowercase.utf8.count && zip(name.utf8, lowercase.utf8).allSatisfy { ASCII.lowered($0) == $1 }
    }

    static func isAny(_ name: String, of lowercase: [String]) -> Bool {
        lowercase.contains { named(name, $0) }
    }

    /// Whether a `Connection` field lists `name` (it is hop-by-hop too).
    static func isConnectionOption(_ name: String, in headers: HTTPHeaders) -> Bool {
        for (field, value) in headers where named(field, "connection") {
            for option in value.utf8.split(separator: UInt8(ascii: ",")) {
                let trimmed = option.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }.reversed()
                if ASCII.equalIgnoringCase(trimmed, name.utf8) { return true }
            }
        }
        return false
    }

    /// The headers to send to the provider: the consumer's end-to-end headers (the `Ssp-*`
    /// headers and `Authorization` untouched), plus `Forwarded`, `X-Forwarded-For`,
    /// `X-Request-ID` and `X-Correlation-ID`. Consumer-supplied forwarding headers are replaced:
    /// Switchboard is the edge, so only what it saw is true.
    public static func upstreamRequestHeaders(
        from incoming: HTTPHeaders, clientAddress: String, proxyHost: String, exchangeID: String, correlationID: String
    ) -> HTTPHeaders {
        let hasConnection = incoming.contains(name: "connection")
        var headers = HTTPHeaders()
        headers.reserveCapacity(incoming.count + 4)
        for (name, value) in incoming {
            if isAny(name, of: dropped) || isAny(name, of: replacedUpstream) || (hasConnection && isConnectionOption(name, in: incoming)) { continue }
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
        let hasConnection = upstream.contains(name: "connection")
        var headers = HTTPHeaders()
        headers.reserveCapacity(upstream.count + 2)
        for (name, value) in upstream {
            if named(name, "content-length") { headers.add(name: name, value: value); continue }
            if isAny(name, of: dropped) || isAny(name, of: replacedDownstream) || (hasConnection && isConnectionOption(name, in: upstream)) { continue }
            headers.add(name: name, value: value)
        }
        headers.add(name: "X-Request-ID", value: exchangeID)
        if let traceID { headers.add(name: "Ssp-TraceID", value: traceID) }
        return headers
    }
}
