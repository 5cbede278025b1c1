import Foundation
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import Crypto
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// Respond: the provider's answer on its way to the consumer. Its head carries the provider's
/// end-to-end headers plus `X-Request-ID` and `Ssp-TraceID`. Up to ``gatherLimit`` bytes are
/// gathered before anything is sent, so a small answer goes out in one write after its record is
/// durable, and a provider that breaks off within them is answered `502` rather than with a
/// cut-short message. Past that, every byte is sent as it arrives except the last one received,
/// which is held back with the end of the message until the record is durable: a consumer that
/// has the complete answer can always find its record.
struct RespondPhase {
    static let gatherLimit = 64 * 1024

    private(set) var head: HTTPResponseHead
    private(set) var headSent = false
    private var gathered: [ByteBuffer] = []
    private var gatheredBytes = 0
    private var heldBack: ByteBuffer?
    private var hash = SHA256()
    private(set) var bytesOut: Int64 = 0

    init(providerHead: HTTPResponseHead, context: inout ExchangeContext, cors: CORSPolicy, keepAlive: Bool) {
        let exchangeID = context.exchangeID
        var headers = HeaderRules.downstreamResponseHeaders(from: providerHead.headers, exchangeID: exchangeID, traceID: context.headers?.traceID)
        cors.addHeaders(&headers, request: context.head)
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        context.record.responseLocation = providerHead.headers.first(name: "location")
        context.record.responseETag = providerHead.headers.first(name: "etag")
        head = HTTPResponseHead(version: context.head.version, status: providerHead.status, headers: headers)
    }

    var status: Int { Int(head.status.code) }

    /// The hex SHA-256 of the body so far; `nil` when it is empty.
    var bodySHA256: String? { bytesOut > 0 ? Hex.encode(hash.finalize()) : nil }

    /// Takes a chunk of the provider's body; returns what may be sent now.
    mutating func receive(_ chunk: ByteBuffer) -> [HTTPServerResponsePart] {
        bytesOut += Int64(chunk.readableBytes)
        chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
        var ready: [HTTPServerResponsePart]
        if headSent {
            ready = heldBack.map { [.body(.byteBuffer($0))] } ?? []
            heldBack = nil
        } else {
            gathered.append(chunk)
            gatheredBytes += chunk.readableBytes
            guard gatheredBytes > Self.gatherLimit else { return [] }
            headSent = true
            ready = [.head(head)] + gathered.dropLast().map { .body(.byteBuffer($0)) }
            gathered = []
        }
        var last = chunk
        if last.readableBytes > 1, let front = last.readSlice(length: last.readableBytes - 1) {
            ready.append(.body(.byteBuffer(front)))
        }
        heldBack = last
        return ready
    }

    /// Everything not yet sent, ending the message: to send once the record is durable.
    mutating func finish() -> [HTTPServerResponsePart] {
        var rest: [HTTPServerResponsePart] = headSent ? [] : [.head(head)]
        rest += gathered.map { .body(.byteBuffer($0)) }
        if let heldBack { rest.append(.body(.byteBuffer(heldBack))) }
        gathered = []
        heldBack = nil
        headSent = true
        rest.append(.end(nil))
        return rest
    }
}
