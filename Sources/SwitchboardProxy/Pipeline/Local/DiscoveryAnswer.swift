import Foundation
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import NIOCore
import NIOHTTP1

/// `GET /Endpoint?…` and `GET /Device?…`: SDS-style discovery from the exchange's directory
/// snapshot, for consumers with a certificate. Recorded like an exchange.
enum DiscoveryAnswer {
    static func matches(_ head: HTTPRequestHead) -> Bool {
        head.method == .GET && (head.uri.hasPrefix("/Endpoint") || head.uri.hasPrefix("/Device"))
    }

    /// The search's Bundle; `nil` when the URI is not a discovery search after all (it is then
    /// treated as an SSP exchange).
    static func answer(_ context: inout ExchangeContext, proxyHost: String, keepAlive: Bool) throws(ProxyRefusal) -> ProxyAnswer? {
        let head = context.head
        context.record.targetURL = ProxyRefusal.sanitised(String(head.uri.prefix(2048)))
        guard context.client.certificate != nil else { throw .clientCertificateRequired }
        guard let search = try Discovery.search(uri: head.uri) else { return nil }
        context.record.resourceType = search.resource.rawValue
        context.record.toODS = search.ods
        context.record.interaction = search.interaction
        let host = head.headers.first(name: "host") ?? proxyHost
        guard let body = try? Discovery.bundle(search, snapshot: context.snapshot, selfURL: "https://\(host)\(head.uri)") else { return nil }
        let headers = HTTPHeaders([("Content-Type", "application/fhir+json;charset=utf-8"), ("Content-Length", "\(body.count)"),
                                   ("Cache-Control", "no-store"), ("X-Request-ID", context.exchangeID),
                                   ("Ssp-TraceID", context.responseTraceID)])
        return ProxyAnswer(version: head.version, status: 200, headers: headers, body: ByteBuffer(bytes: body), keepAlive: keepAlive)
    }
}
