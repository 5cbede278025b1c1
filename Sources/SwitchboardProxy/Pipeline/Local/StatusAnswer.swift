import NIOCore
import NIOHTTP1

/// `GET /_status` (and `HEAD`): liveness, this node and the build it runs. Answered without an
/// audit record: it names no patient, practice or provider.
enum StatusAnswer {
    static func matches(_ head: HTTPRequestHead) -> Bool {
        head.uri == "/_status" && (head.method == .GET || head.method == .HEAD)
    }

    static func answer(_ head: HTTPRequestHead, body: String, keepAlive: Bool) -> ProxyAnswer {
        let headers = HTTPHeaders([("Content-Type", "application/json"), ("Content-Length", "\(body.utf8.count)"), ("Cache-Control", "no-store")])
        return ProxyAnswer(version: head.version, status: 200, headers: headers,
                           body: ByteBuffer(string: head.method == .HEAD ? "" : body), keepAlive: keepAlive)
    }
}
