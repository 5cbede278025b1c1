public import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A scriptable HTTPS provider for tests: records every request it receives and answers as the
/// test's behaviour says: a response, silence, a stall or reset part-way, or a large streamed body.
public final class TestProvider: Sendable {
    /// A request as the provider saw it.
    public struct ReceivedRequest: Sendable {
        public var method: String
        public var uri: String
        public var headers: [(String, String)]
        public var body: Data

        public func header(_ name: String) -> [String] {
            headers.filter { $0.0.caseInsensitiveCompare(name) == .orderedSame }.map(\.1)
        }
    }

    /// How to answer one request.
    public indirect enum Action: Sendable {
        case respond(status: Int, headers: [(String, String)], body: Data)
        /// Read the request and never answer.
        case hang
        /// Send the head and `prefix`, then go silent.
        case stallAfter(status: Int, contentLength: Int, prefix: Data)
        /// Send the head with `Content-Length: contentLength`, `sent` bytes of body, then reset.
        case resetAfter(status: Int, contentLength: Int, sent: Int)
        /// Stream `totalBytes` of generated body in `chunkBytes` chunks, chunked or with a length.
        case stream(status: Int, totalBytes: Int, chunkBytes: Int, chunked: Bool)
        /// Send these bytes as they are (not HTTP, or broken HTTP), then close.
        case raw(Data)
        /// Do `action` after `milliseconds`.
        case delayed(milliseconds: Int64, Action)
    }

    public let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let received = NIOLockedValueBox<[ReceivedRequest]>([])
    private let closed = NIOLockedValueBox(0)
    private let opened = NIOLockedValueBox(0)
    private let stopped = NIOLockedValueBox(false)

    /// Starts a provider on `127.0.0.1` with `certificate` and `privateKey` (PEM files).
    public init(certificate: String, privateKey: String, behaviour: @escaping @Sendable (ReceivedRequest) -> Action) async throws {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let context = try NIOSSLContext(configuration: tls)
        let received = self.received
        let closed = self.closed
        let opened = self.opened
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    opened.withLockedValue { $0 += 1 }
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    // No HTTPServerPipelineHandler: it stops reading while a request is in flight,
                    // and the provider must notice a client that gives up on it.
                    try channel.pipeline.syncOperations.addHandler(HTTPResponseEncoder())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder()))
                    try channel.pipeline.syncOperations.addHandler(ScriptedHandler(behaviour: behaviour, received: received))
                    channel.closeFuture.whenComplete { _ in closed.withLockedValue { $0 += 1 } }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        port = channel.localAddress!.port!
    }

    /// How many connections to the provider have been accepted.
    public var openedConnections: Int { opened.withLockedValue { $0 } }

    /// How many connections to the provider have closed.
    public var closedConnections: Int { closed.withLockedValue { $0 } }

    /// Every request received so far.
    public var requests: [ReceivedRequest] { received.withLockedValue { $0 } }

    /// Stops listening and closes every connection; later calls do nothing.
    public func shutdown() async {
        guard !stopped.withLockedValue({ stopped in defer { stopped = true }; return stopped }) else { return }
        try? await channel.close()
        try? await group.shutdownGracefully()
    }
}

private final class ScriptedHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let behaviour: @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action
    let received: NIOLockedValueBox<[TestProvider.ReceivedRequest]>
    var current: TestProvider.ReceivedRequest?

    init(behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action, received: NIOLockedValueBox<[TestProvider.ReceivedRequest]>) {
        self.behaviour = behaviour
        self.received = received
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            current = .init(method: head.method.rawValue, uri: head.uri, headers: head.headers.map { ($0.name, $0.value) }, body: Data())
        case .body(let buffer):
            current?.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let request = current else { return }
            current = nil
            received.withLockedValue { $0.append(request) }
            perform(behaviour(request), context: context)
        }
    }

    private func head(_ status: Int, _ headers: [(String, String)]) -> HTTPServerResponsePart {
        .head(HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: HTTPHeaders(headers)))
    }

    private func perform(_ action: TestProvider.Action, context: ChannelHandlerContext) {
        switch action {
        case .respond(let status, var headers, let body):
            if !headers.contains(where: { $0.0.lowercased() == "content-length" || $0.0.lowercased() == "transfer-encoding" }) {
                headers.append(("Content-Length", "\(body.count)"))
            }
            context.write(wrapOutboundOut(head(status, headers)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        case .hang:
            break
        case .delayed(let milliseconds, let action):
            let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(milliseconds)) {
                handler.value.perform(action, context: loopBoundContext.value)
            }
        case .stallAfter(let status, let length, let prefix):
            context.write(wrapOutboundOut(head(status, [("Content-Length", "\(length)")])), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: prefix)))), promise: nil)
        case .resetAfter(let status, let length, let sent):
            let channel = context.channel
            context.write(wrapOutboundOut(head(status, [("Content-Length", "\(length)")])), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(channel.allocator.buffer(repeating: UInt8(ascii: "x"), count: sent))))).whenComplete { _ in
                if let socket = channel as? any SocketOptionProvider {
                    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
                } else {
                    channel.close(promise: nil)
                }
            }
        case .raw(let bytes):
            let channel = context.channel
            channel.pipeline.context(handlerType: HTTPResponseEncoder.self).whenSuccess { encoder in
                // Written below the encoder, so the bytes go out exactly as given.
                encoder.writeAndFlush(NIOAny(channel.allocator.buffer(bytes: bytes))).whenComplete { _ in channel.close(promise: nil) }
            }
        case .stream(let status, let total, let chunkBytes, let chunked):
            let headers = chunked ? [("Content-Type", "application/octet-stream")] : [("Content-Type", "application/octet-stream"), ("Content-Length", "\(total)")]
            context.write(wrapOutboundOut(head(status, headers)), promise: nil)
            let chunk = context.channel.allocator.buffer(repeating: UInt8(ascii: "s"), count: chunkBytes)
            writeChunks(context: context, chunk: chunk, remaining: total)
        }
    }

    private func writeChunks(context: ChannelHandlerContext, chunk: ByteBuffer, remaining: Int) {
        guard remaining > 0 else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        let slice = chunk.getSlice(at: chunk.readerIndex, length: min(remaining, chunk.readableBytes))!
        let loopBoundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(slice)))).whenSuccess {
            handler.value.writeChunks(context: loopBoundContext.value, chunk: chunk, remaining: remaining - slice.readableBytes)
        }
    }
}
