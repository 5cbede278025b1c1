import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An OpenTelemetry collector's OTLP/HTTP traces endpoint on loopback, for tests: it keeps every
/// span it is sent as OTLP JSON (`tracing.protocol: http/json`) and answers `200`.
public final class OTLPReceiver: Sendable {
    /// One span as OTLP/JSON gives it: ids in hex, attributes as strings.
    public struct ReceivedSpan: Sendable, Hashable {
        public var traceID: String
        public var spanID: String
        public var parentSpanID: String
        public var name: String
        public var kind: Int
        public var attributes: [String: String]
        public var startNanoseconds: UInt64
        public var endNanoseconds: UInt64
    }

    public let port: Int
    private let channel: any Channel
    private let received = NIOLockedValueBox<[ReceivedSpan]>([])

    public init() async throws {
        let received = self.received
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(CollectingHandler(received: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress?.port ?? 0
    }

    /// The traces URL to configure.
    public var endpoint: String { "http://127.0.0.1:\(port)/v1/traces" }

    /// Every span received so far.
    public var spans: [ReceivedSpan] { received.withLockedValue { $0 } }

    public func shutdown() async {
        try? await channel.close()
    }

    /// A trace or span id in hex, as OTLP/JSON writes it; also read from base64, which protobuf's
    /// own JSON mapping of `bytes` gives.
    static func identifier(_ value: Any?, bytes: Int) -> String {
        guard let text = value as? String, !text.isEmpty else { return "" }
        if text.count == bytes * 2, text.allSatisfy(\.isHexDigit) { return text.lowercased() }
        guard let data = Data(base64Encoded: text) else { return text }
        return data.map { String(format: "%02x", $0) }.joined()
    }

    /// The spans of an `ExportTraceServiceRequest` in OTLP/JSON.
    static func spans(in json: Data) -> [ReceivedSpan] {
        guard let root = try? JSONSerialization.jsonObject(with: json) as? [String: Any] else { return [] }
        var found: [ReceivedSpan] = []
        for resource in root["resourceSpans"] as? [[String: Any]] ?? [] {
            for scope in resource["scopeSpans"] as? [[String: Any]] ?? [] {
                for span in scope["spans"] as? [[String: Any]] ?? [] {
                    var attributes: [String: String] = [:]
                    for attribute in span["attributes"] as? [[String: Any]] ?? [] {
                        guard let key = attribute["key"] as? String, let value = attribute["value"] as? [String: Any], let first = value.first else { continue }
                        attributes[key] = "\(first.value)"
                    }
                    func number(_ key: String) -> UInt64 {
                        if let text = span[key] as? String { return UInt64(text) ?? 0 }
                        return (span[key] as? NSNumber)?.uint64Value ?? 0
                    }
                    let kind = (span["kind"] as? Int) ?? Int((span["kind"] as? String).flatMap { Int($0) } ?? 0)
                    found.append(ReceivedSpan(traceID: identifier(span["traceId"], bytes: 16), spanID: identifier(span["spanId"], bytes: 8),
                                              parentSpanID: identifier(span["parentSpanId"], bytes: 8), name: span["name"] as? String ?? "",
                                              kind: kind, attributes: attributes,
                                              startNanoseconds: number("startTimeUnixNano"), endNanoseconds: number("endTimeUnixNano")))
                }
            }
        }
        return found
    }
}

private final class CollectingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let received: NIOLockedValueBox<[OTLPReceiver.ReceivedSpan]>
    private let body = NIOLockedValueBox(Data())

    init(received: NIOLockedValueBox<[OTLPReceiver.ReceivedSpan]>) {
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            body.withLockedValue { $0 = Data() }
        case .body(let chunk):
            body.withLockedValue { $0.append(contentsOf: chunk.readableBytesView) }
        case .end:
            let spans = OTLPReceiver.spans(in: body.withLockedValue { $0 })
            received.withLockedValue { $0.append(contentsOf: spans) }
            let answer = ByteBuffer(string: "{}")
            let head = HTTPResponseHead(version: .http1_1, status: .ok,
                                        headers: ["Content-Type": "application/json", "Content-Length": "\(answer.readableBytes)"])
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(answer))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }
}
