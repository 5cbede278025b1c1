import Foundation
public import NIOCore
public import NIOSSL

/// The HTTPS client that carries requests to providers: for each event loop a ``ProviderPool``
/// of keep-alive HTTP/1.1 connections, so an exchange's request runs on its own consumer
/// connection's loop. TLS 1.2+ verified against the configured CA with hostname checks (with the
/// proxy's own certificate when providers require mutual TLS), and the provider's certificate
/// checked against the revocation lists before anything is sent; no redirects followed, no
/// decompression, no retries of sent requests (only failed connection attempts are repeated,
/// inside the connect timeout).
public final class UpstreamClient: Sendable {
    struct Settings: Sendable {
        var tls: ReloadableTLSContext
        var connectTimeout: TimeAmount
        var readTimeout: TimeAmount
        var idleTimeout: TimeAmount
        /// `maxConnectionsPerHost` shared evenly between the event loops (at least one each).
        var connectionsPerLoop: Int
        /// Host → address to connect to instead of resolving it.
        var resolve: [String: String]
        var use: ProviderPoolUse
        var revocation: CertificateRevocation
    }

    let settings: Settings
    public let responseTimeout: TimeAmount
    /// One pool per event loop of the group, made up front so that finding an exchange's pool
    /// takes no lock.
    private let pools: [ObjectIdentifier: (eventLoop: any EventLoop, pool: NIOLoopBoundBox<ProviderPool>)]

    /// `revocation` holds the lists provider certificates are checked against when a connection
    /// is made.
    public init(configuration: ProxyConfiguration.Upstream, revocation: CertificateRevocation = CertificateRevocation(),
                eventLoopGroup: any EventLoopGroup) throws {
        let loops = Array(eventLoopGroup.makeIterator())
        let settings = Settings(
            tls: ReloadableTLSContext(try Self.tlsContext(configuration)),
            connectTimeout: .milliseconds(Int64(configuration.connectTimeoutMilliseconds)),
            readTimeout: .milliseconds(Int64(configuration.readTimeoutMilliseconds)),
            idleTimeout: .milliseconds(Int64(configuration.idleConnectionTimeoutMilliseconds)),
            connectionsPerLoop: max(1, configuration.maxConnectionsPerHost / max(1, loops.count)),
            resolve: try configuration.resolvedAddresses(),
            use: ProviderPoolUse(),
            revocation: revocation)
        self.settings = settings
        pools = Dictionary(uniqueKeysWithValues: loops.map { loop in
            (ObjectIdentifier(loop), (loop, NIOLoopBoundBox.makeBoxSendingValue(ProviderPool(eventLoop: loop, settings: settings), eventLoop: loop)))
        })
        responseTimeout = .milliseconds(Int64(configuration.responseTimeoutMilliseconds))
    }

    /// TLS 1.2+, the providers' CA bundle, and the proxy's client certificate when one is set;
    /// throws when a file cannot be read or the key does not match the certificate.
    public static func tlsContext(_ configuration: ProxyConfiguration.Upstream) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        tls.applicationProtocols = ["http/1.1"]
        if !configuration.caBundle.isEmpty {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.caBundle))
        }
        if !configuration.clientCertificate.isEmpty {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(configuration.clientCertificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: configuration.clientPrivateKey, format: .pem))
        }
        return try NIOSSLContext(configuration: tls)
    }

    /// How the provider connections are used now (every event loop's pool together).
    public var poolUse: ProviderPoolUse { settings.use }

    /// Puts a new TLS context in force (a reload): provider connections made from now on use it;
    /// those open go on until they close.
    public func replaceTLS(_ context: NIOSSLContext) {
        settings.tls.replace(with: context)
    }

    /// Starts `request` on `eventLoop`, the caller's own (one of the client's group); the answer
    /// goes to `receiver` there.
    func execute(_ request: UpstreamRequest, body: RequestBodyBridge?, receiver: any ProviderAnswerReceiver,
                 on eventLoop: any EventLoop) -> ProviderCall {
        let call = ProviderCall(request: request, body: body, receiver: receiver)
        if let pool = pools[ObjectIdentifier(eventLoop)]?.pool.value {
            pool.start(call)
        } else {
            call.failed(UpstreamError.connectionFailed("the exchange's event loop is not one of the upstream client's"))
        }
        return call
    }

    /// Closes idle connections and refuses new requests; connections in use close as their
    /// requests end.
    public func shutdown() async throws {
        for (eventLoop, pool) in pools.values {
            try await eventLoop.submit { pool.value.shutDown() }.get()
        }
    }
}
