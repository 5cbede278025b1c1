import Foundation
import SwitchboardCore
public import Hummingbird
import HummingbirdTLS
public import Logging
public import NIOCore
public import NIOSSL
public import ServiceLifecycle
import NIOConcurrencyHelpers

/// The management listener: HTTPS (its own certificate, optionally client certificates mapped to
/// roles), serving the admin API, the audit API and the operations endpoints.
public final class ManagementServer: Service, Sendable {
    /// Where and how it listens.
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var certificate: String
        public var privateKey: String
        /// PEM CA(s) for management client certificates; empty for tokens only.
        public var clientCA: String

        public init(host: String, port: Int, certificate: String, privateKey: String, clientCA: String) {
            self.host = host
            self.port = port
            self.certificate = certificate
            self.privateKey = privateKey
            self.clientCA = clientCA
        }
    }

    let application: Application<RouterResponder<ManagementContext>>
    let settings: Settings
    /// The certificate and key each handshake presents; a reload replaces them.
    private let certificate: NIOLockedValueBox<NIOSSLContextConfigurationOverride>
    private let bound = AwaitedValue<SocketAddress>()

    /// `actionLog`, when given, records every admin and audit call (it wraps authentication, so
    /// refused calls are recorded too).
    public init(settings: Settings, actionLog: ManagementActionLog?, authentication: AuthenticationMiddleware,
                register: [(Router<ManagementContext>) -> Void], eventLoopGroup: any EventLoopGroup, logger: Logger) throws {
        self.settings = settings
        let router = Router(context: ManagementContext.self)
        router.middlewares.add(SecurityHeaders<ManagementContext>())
        if let actionLog { router.middlewares.add(actionLog) }
        router.middlewares.add(authentication)
        let routes = MethodNotAllowed.RouteTable()
        router.middlewares.add(MethodNotAllowed(table: routes))
        for registration in register { registration(router) }
        routes.set(router.routes)
        let material = try Self.certificateMaterial(certificate: settings.certificate, privateKey: settings.privateKey)
        let certificate = NIOLockedValueBox(material)
        self.certificate = certificate
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: material.certificateChain ?? [], privateKey: material.privateKey!)
        tls.sslContextCallback = { _, promise in promise.succeed(certificate.withLockedValue { $0 }) }
        tls.minimumTLSVersion = .tlsv12
        tls.maximumTLSVersion = .tlsv13
        tls.cipherSuites = TLSPolicy.cipherSuites
        if settings.clientCA.isEmpty {
            tls.certificateVerification = .none
        } else {
            tls.certificateVerification = .optionalVerification
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(settings.clientCA))
        }
        let bound = self.bound
        application = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "switchboard"),
            onServerRunning: { channel in
                if let address = channel.localAddress { bound.set(address) }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }

    /// The certificate chain and key in two PEM files, checked to belong together; throws when a
    /// file cannot be read or the two do not match.
    public static func certificateMaterial(certificate: String, privateKey: String) throws -> NIOSSLContextConfigurationOverride {
        var material = NIOSSLContextConfigurationOverride()
        material.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
        material.privateKey = .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem))
        // BoringSSL refuses a key that does not match the certificate when it makes a context.
        _ = try NIOSSLContext(configuration: .makeServerConfiguration(certificateChain: material.certificateChain!, privateKey: material.privateKey!))
        return material
    }

    /// Puts a new certificate and key in force (a reload): handshakes from now on present them.
    public func replaceCertificate(_ material: NIOSSLContextConfigurationOverride) {
        certificate.withLockedValue { $0 = material }
    }

    /// The address the listener is bound to, once it is; throws the ``ListenerError`` when it
    /// cannot bind.
    public func localAddress() async throws -> SocketAddress {
        try await bound.value()
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch where !bound.isSettled {
            let failure = ListenerError(listener: "the management listener", host: settings.host, port: settings.port,
                                        errnoCode: (error as? IOError)?.errnoCode, detail: "\(error)", setting: "management.port")
            bound.fail(failure)
            throw failure
        }
    }
}
