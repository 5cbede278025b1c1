public import Logging
public import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL
public import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// The proxy port: a TLS listener whose consumer connections each end in a
/// ``ConsumerConnection`` handler on their event loop. Runs as a service; on graceful shutdown it
/// stops accepting and lets open connections finish their current exchange.
public final class ProxyServer: Service, Sendable {
    public let configuration: ProxyConfiguration
    let service: ExchangeService
    let eventLoopGroup: any EventLoopGroup
    let tls: ReloadableTLSContext
    let logger: Logger

    /// Consumer connections open now.
    public var connectionCount: Int { service.registry.count }
    private let bound = AwaitedValue<SocketAddress>()

    public init(configuration: ProxyConfiguration, service: ExchangeService, eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.configuration = configuration
        self.service = service
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        tls = ReloadableTLSContext(try Self.makeTLSContext(configuration.tls))
    }

    /// The listener's TLS context from its certificate, key and consumer CA files; throws when a
    /// file cannot be read or the key does not match the certificate.
    public static func makeTLSContext(_ settings: ProxyConfiguration.ServerTLS) throws -> NIOSSLContext {
        try NIOSSLContext(configuration: try tlsConfiguration(settings))
    }

    /// Puts a new TLS context in force (a reload): handshakes from now on use it, and open
    /// connections go on with the one they began with.
    public func replaceTLS(_ context: NIOSSLContext) {
        tls.replace(with: context)
    }

    /// The service the listener's connections share (a reload replaces its CORS origins and rate limits).
    public var exchangeService: ExchangeService { service }

    /// TLS 1.2 and 1.3 only, AEAD suites with forward secrecy, client certificates verified
    /// against the consumer CA when presented (a missing one is answered `496` over HTTP).
    static func tlsConfiguration(_ tls: ProxyConfiguration.ServerTLS) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(tls.certificate)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKey, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        configuration.maximumTLSVersion = .tlsv13
        configuration.cipherSuites = tls.cipherSuites
        configuration.certificateVerification = .optionalVerification
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.clientCA))
        configuration.sendCANameList = true
        configuration.renegotiationSupport = .none
        configuration.applicationProtocols = ["http/1.1"]
        return configuration
    }

    /// The address the listener is bound to, once it is (useful with port `0`); throws the
    /// ``ListenerError`` when it cannot bind.
    public func localAddress() async throws -> SocketAddress {
        try await bound.value()
    }

    public func run() async throws {
        let limits = configuration.limits
        let timeouts = ConnectionTimeouts.Limits(
            handshake: .milliseconds(Int64(limits.handshakeTimeoutMilliseconds)),
            header: .milliseconds(Int64(limits.headerTimeoutMilliseconds)),
            idle: .milliseconds(Int64(limits.idleTimeoutMilliseconds)))
        var limitsForDecoder = NIOHTTPDecoderLimitConfiguration()
        limitsForDecoder.maxHeaderFieldSize = limits.maxHeaderFieldBytes
        limitsForDecoder.maxHeaderListSize = limits.maxHeaderBytes
        limitsForDecoder.maxHeaderFieldCount = limits.maxHeaderFields
        let decoderLimits = limitsForDecoder
        let tls = self.tls
        let service = self.service
        let registry = service.registry
        let maxConnections = limits.maxConnections
        let balancers = configuration.listen.proxyProtocol == "v2" ? try configuration.balancerAddresses() : nil

        let server: any Channel
        do {
            server = try await ServerBootstrap(group: eventLoopGroup)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        // Beyond the limit, or once shutdown has begun, a connection is closed on accept.
                        guard registry.add(channel, maximum: maxConnections) else {
                            channel.close(promise: nil)
                            return
                        }
                        channel.closeFuture.whenComplete { _ in registry.remove(channel) }
                        let identity = ConnectionIdentityBox()
                        let state = ConnectionTimeouts.State(limits: timeouts)
                        let remote = channel.remoteAddress?.ipAddress ?? "unknown"
                        let eventLoop = channel.eventLoop
                        let operations = channel.pipeline.syncOperations
                        if let balancers {
                            try operations.addHandler(ProxyProtocolReader(allowed: balancers, identity: identity) { refusal in
                                service.proxyProtocolRefused(refusal)
                            })
                        }
                        try operations.addHandler(PlainHTTPDetector { line in
                            service.recordPlainHTTP(clientAddress: identity.clientAddress.withLock { $0 } ?? remote, requestLine: line, on: eventLoop)
                        })
                        try operations.addHandler(NIOSSLServerHandler(context: tls.current))
                        try operations.addHandler(ConnectionTimeouts.RawSide(state: state, identity: identity))
                        try operations.addHandler(HTTPResponseEncoder(configuration: .init()))
                        try operations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)))
                        try operations.addHandler(ConnectionTimeouts.HeadSide(state: state))
                        try operations.addHandler(ConsumerConnection(service: service, identity: identity))
                    }
                }
                .bind(host: configuration.listen.host, port: configuration.listen.port).get()
        } catch {
            let failure = ListenerError(listener: "the proxy listener", host: configuration.listen.host, port: configuration.listen.port,
                                        errnoCode: (error as? IOError)?.errnoCode, detail: "\(error)", setting: "proxy.listen.port")
            bound.fail(failure)
            throw failure
        }

        let address = server.localAddress
        if let address { bound.set(address) }
        logger.info("proxy listening", metadata: [LogKey.address: "\(address.map { "\($0)" } ?? "?")"])

        let grace = TimeAmount.milliseconds(Int64(configuration.limits.shutdownGraceMilliseconds))
        await withGracefulShutdownHandler {
            await withTaskCancellationHandler {
                try? await server.closeFuture.get()
            } onCancel: {
                registry.beginShutdown()
                server.close(promise: nil)
                registry.closeAll()
            }
            await registry.waitUntilEmpty()
        } onGracefulShutdown: {
            registry.beginShutdown()
            server.close(promise: nil)
            server.eventLoop.scheduleTask(in: grace) { registry.closeAll() }
        }
    }
}
