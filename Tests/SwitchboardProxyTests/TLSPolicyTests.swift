import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// What each listener negotiates: TLS 1.2 with forward-secret AEAD suites, or TLS 1.3; never
/// TLS 1.0 or 1.1, CBC, or RSA key exchange — offered by a client that asks for nothing else.
@Suite struct TLSPolicyTests {
    struct Offer: Sendable, CustomTestStringConvertible {
        var name: String
        var accepted: Bool
        var configure: @Sendable (inout TLSConfiguration) -> Void
        var testDescription: String { name }
    }

    static let offers: [Offer] = [
        Offer(name: "TLS 1.0 only", accepted: false) { $0.minimumTLSVersion = .tlsv1; $0.maximumTLSVersion = .tlsv1 },
        Offer(name: "TLS 1.1 only", accepted: false) { $0.minimumTLSVersion = .tlsv11; $0.maximumTLSVersion = .tlsv11 },
        Offer(name: "TLS 1.2 with CBC suites only", accepted: false) {
            $0.maximumTLSVersion = .tlsv12
            $0.cipherSuites = "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"
        },
        Offer(name: "TLS 1.2 with RSA key exchange only", accepted: false) {
            $0.maximumTLSVersion = .tlsv12
            $0.cipherSuites = "AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA:AES256-SHA"
        },
        Offer(name: "TLS 1.2 with 3DES only", accepted: false) { $0.maximumTLSVersion = .tlsv12; $0.cipherSuites = "DES-CBC3-SHA" },
        Offer(name: "TLS 1.2 with ECDHE and AES-GCM", accepted: true) {
            $0.minimumTLSVersion = .tlsv12; $0.maximumTLSVersion = .tlsv12; $0.cipherSuites = "ECDHE-ECDSA-AES128-GCM-SHA256"
        },
        Offer(name: "TLS 1.2 with ECDHE and ChaCha20", accepted: true) {
            $0.minimumTLSVersion = .tlsv12; $0.maximumTLSVersion = .tlsv12; $0.cipherSuites = "ECDHE-ECDSA-CHACHA20-POLY1305"
        },
        Offer(name: "TLS 1.3", accepted: true) { $0.minimumTLSVersion = .tlsv13 },
    ]

    @Test(arguments: offers)
    func theProxyPortNegotiatesOnlyStrongTLS(offer: Offer) async throws {
        try await ProxyHarness.with { harness in
            let outcome = try await Self.handshake(port: harness.port, trust: harness.pki.consumerCA, client: harness.pki.consumer, offer: offer)
            #expect(outcome == nil ? offer.accepted : !offer.accepted, "\(offer.name): \(outcome ?? "handshake completed")")
        }
    }

    @Test(arguments: offers)
    func theManagementPortNegotiatesOnlyStrongTLS(offer: Offer) async throws {
        try await ProxyHarness.with(management: true) { harness in
            let outcome = try await Self.handshake(port: harness.managementPort!, trust: harness.pki.consumerCA, client: nil, offer: offer)
            #expect(outcome == nil ? offer.accepted : !offer.accepted, "\(offer.name): \(outcome ?? "handshake completed")")
        }
    }

    /// Connects with `offer`; nil when the handshake completed, else why it did not.
    static func handshake(port: Int, trust: String, client: TestPKI.Files?, offer: Offer) async throws -> String? {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(trust))
        if let client {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(client.certificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: client.privateKey, format: .pem))
        }
        offer.configure(&tls)
        let context = try NIOSSLContext(configuration: tls)
        let group = MultiThreadedEventLoopGroup.singleton
        let loop = group.next()
        let result = loop.makePromise(of: String?.self)
        let channel = try await ClientBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                    try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(result: result))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let outcome = try await result.futureResult.get()
        try? await channel.close()
        return outcome
    }

    /// Reports the first of: the handshake completing, an error, the connection closing, 10 s passing.
    final class HandshakeWatcher: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let result: EventLoopPromise<String?>
        var done = false

        init(result: EventLoopPromise<String?>) { self.result = result }

        func finish(_ outcome: String?) {
            guard !done else { return }
            done = true
            result.succeed(outcome)
        }

        func handlerAdded(context: ChannelHandlerContext) {
            let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .seconds(10)) { loopBound.value.finish("no answer in 10 s") }
        }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if case TLSUserEvent.handshakeCompleted = event { finish(nil) }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish("\(error)")
        }

        func channelInactive(context: ChannelHandlerContext) {
            finish("closed")
            context.fireChannelInactive()
        }
    }
}
