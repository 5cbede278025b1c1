// The floor of the stack Switchboard is built on: a reverse proxy with nothing but what nginx's
// configuration in compare.sh does, written on SwiftNIO, swift-nio-ssl and NIO's HTTP/1 codecs
// the way Switchboard's listener and provider client use them. Mutual TLS in, verified TLS out
// over per-loop keep-alive connections, X-Forwarded-For, X-Request-ID and Forwarded added, the
// answer relayed as it arrives. No SSP checks, directory, audit or logging.
//
// It is not a product: compare.sh runs it as target `floor`, so that the CPU per request of a
// proxy on this stack can be set beside nginx's and Switchboard's in one run.
//
//   FloorProxy PORT CERT KEY CLIENT-CA PROVIDER-PORT PROVIDER-CA EVENT-LOOPS
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

let arguments = CommandLine.arguments
guard arguments.count == 8, let port = Int(arguments[1]), let providerPort = Int(arguments[5]), let loops = Int(arguments[7]), loops > 0 else {
    FileHandle.standardError.write(Data("usage: FloorProxy PORT CERT KEY CLIENT-CA PROVIDER-PORT PROVIDER-CA EVENT-LOOPS\n".utf8))
    exit(2)
}

var serverTLS = TLSConfiguration.makeServerConfiguration(
    certificateChain: try NIOSSLCertificate.fromPEMFile(arguments[2]).map { .certificate($0) },
    privateKey: .privateKey(try NIOSSLPrivateKey(file: arguments[3], format: .pem))
)
serverTLS.certificateVerification = .noHostnameVerification
serverTLS.trustRoots = .file(arguments[4])
let serverContext = try NIOSSLContext(configuration: serverTLS)

var clientTLS = TLSConfiguration.makeClientConfiguration()
clientTLS.trustRoots = .file(arguments[6])
let clientContext = try NIOSSLContext(configuration: clientTLS)

/// The idle provider connections of one event loop.
final class Pool: @unchecked Sendable {
    var idle: [Channel] = []
    let eventLoop: any EventLoop
    let providerPort: Int
    let clientContext: NIOSSLContext
    init(eventLoop: any EventLoop, providerPort: Int, clientContext: NIOSSLContext) {
        self.eventLoop = eventLoop
        self.providerPort = providerPort
        self.clientContext = clientContext
    }

    func lease() -> EventLoopFuture<Channel> {
        while let channel = idle.popLast() {
            if channel.isActive { return eventLoop.makeSucceededFuture(channel) }
        }
        let clientContext = self.clientContext
        return ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(NIOSSLClientHandler(context: clientContext, serverHostname: "localhost"))
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(ProviderHandler())
                }
            }
            .connect(host: "127.0.0.1", port: providerPort)
    }
}

/// Relays one provider answer to the consumer connection that asked for it.
final class Relay {
    let consumer: ChannelHandlerContext
    let keepAlive: Bool
    let done: () -> Void
    init(consumer: ChannelHandlerContext, keepAlive: Bool, done: @escaping () -> Void) {
        self.consumer = consumer
        self.keepAlive = keepAlive
        self.done = done
    }
}

final class ProviderHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    var relay: Relay?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let relay else { return }
        switch unwrapInboundIn(data) {
        case .head(var head):
            head.headers.replaceOrAdd(name: "Connection", value: relay.keepAlive ? "keep-alive" : "close")
            relay.consumer.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        case .body(let buffer):
            relay.consumer.writeAndFlush(NIOAny(HTTPServerResponsePart.body(.byteBuffer(buffer))), promise: nil)
        case .end:
            self.relay = nil
            let written = relay.consumer.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
            if !relay.keepAlive { written.assumeIsolated().whenComplete { [consumer = relay.consumer] _ in consumer.close(promise: nil) } }
            relay.done()
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        relay?.consumer.close(promise: nil)
        relay = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

final class ConsumerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let pool: Pool
    var provider: Channel?
    var pending: [HTTPClientRequestPart] = []
    var requestCount = 0

    init(pool: Pool) { self.pool = pool }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            requestCount += 1
            var upstream = HTTPRequestHead(version: .http1_1, method: head.method, uri: head.uri)
            upstream.headers = head.headers
            upstream.headers.replaceOrAdd(name: "Host", value: "localhost:\(pool.providerPort)")
            upstream.headers.replaceOrAdd(name: "Connection", value: "keep-alive")
            let address = context.remoteAddress?.ipAddress ?? "unknown"
            upstream.headers.add(name: "X-Forwarded-For", value: address)
            upstream.headers.add(name: "X-Request-ID", value: "\(requestCount)-\(ObjectIdentifier(self).hashValue)")
            upstream.headers.add(name: "Forwarded", value: "for=\(address);proto=https")
            pending = [.head(upstream)]
            let relay = Relay(consumer: context, keepAlive: head.isKeepAlive) { [pool] in
                if let provider = self.provider {
                    self.provider = nil
                    pool.idle.append(provider)
                }
            }
            pool.lease().assumeIsolated().whenComplete { result in
                switch result {
                case .success(let channel):
                    self.provider = channel
                    let handler = try! channel.pipeline.syncOperations.handler(type: ProviderHandler.self)
                    handler.relay = relay
                    for part in self.pending { channel.write(part, promise: nil) }
                    channel.flush()
                    self.pending = []
                case .failure:
                    context.close(promise: nil)
                }
            }
        case .body(let buffer):
            if let provider, pending.isEmpty { provider.write(HTTPClientRequestPart.body(.byteBuffer(buffer)), promise: nil) }
            else { pending.append(.body(.byteBuffer(buffer))) }
        case .end:
            if let provider, pending.isEmpty { provider.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil) }
            else { pending.append(.end(nil)) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// Runs the proxy until it is killed. Each pool is used only on its own event loop.
func serve(port: Int, loops: Int, providerPort: Int, serverContext: NIOSSLContext, clientContext: NIOSSLContext) throws {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
    let pools = Dictionary(uniqueKeysWithValues: group.makeIterator().map {
        (ObjectIdentifier($0), Pool(eventLoop: $0, providerPort: providerPort, clientContext: clientContext))
    })
    let channel = try ServerBootstrap(group: group)
        .serverChannelOption(.backlog, value: 1024)
        .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
        .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                let pipeline = channel.pipeline.syncOperations
                try pipeline.addHandler(NIOSSLServerHandler(context: serverContext))
                try pipeline.configureHTTPServerPipeline()
                try pipeline.addHandler(ConsumerHandler(pool: pools[ObjectIdentifier(channel.eventLoop)]!))
            }
        }
        .bind(host: "127.0.0.1", port: port)
        .wait()
    try channel.closeFuture.wait()
}

try serve(port: port, loops: loops, providerPort: providerPort, serverContext: serverContext, clientContext: clientContext)
