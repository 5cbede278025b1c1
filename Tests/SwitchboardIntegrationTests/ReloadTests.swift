import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOTLS
import NIOPosix
import NIOSSL
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// `switchboard serve` reloads on SIGHUP: renewed certificates, the consumer CA bundle, rate
/// limits and CORS origins are put in force without a restart, and a bad file changes nothing.
@Suite("Configuration reload on SIGHUP", .serialized)
struct ReloadTests {
    @Test("a certificate renewed in place is presented to new connections after SIGHUP, with no failed exchange under traffic")
    func renewedCertificateUnderTraffic() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            try await waitUntilListening(workspace.managementPort)
            let before = try await presentedCertificate(port: workspace.port, pki: workspace.pki)
            let managementBefore = try await presentedCertificate(port: workspace.managementPort, pki: workspace.pki)
            #expect(before == managementBefore, "the workspace's management listener uses the proxy's certificate")

            let client = try workspace.makeClient()
            let answered = NIOLockedValueBox<[String]>([])
            let failures = NIOLockedValueBox<[String]>([])
            let stop = NIOLockedValueBox(false)
            let renewed = try workspace.pki.renewedProxyCertificate()
            var after: [UInt8] = []
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask { await workspace.sendSlotSearches(client: client, until: stop, answered: answered, failures: failures, timeout: .seconds(10)) }
                }
                // Renew once traffic flows, then keep it flowing until new connections see the renewal.
                await eventually(timeout: .seconds(15)) { answered.withLockedValue { $0.count } >= 20 }
                do {
                    try replace(workspace.pki.proxy.certificate, with: renewed.certificate)
                    try replace(workspace.pki.proxy.privateKey, with: renewed.privateKey)
                    kill(server.processIdentifier, SIGHUP)
                    _ = try await eventually(timeout: .seconds(15)) {
                        after = try await presentedCertificate(port: workspace.port, pki: workspace.pki)
                        return after != before
                    }
                } catch {
                    failures.withLockedValue { $0.append("renewing: \(error)") }
                }
                let answeredAtRenewal = answered.withLockedValue { $0.count }
                await eventually(timeout: .seconds(15)) { answered.withLockedValue { $0.count } >= answeredAtRenewal + 20 }
                stop.withLockedValue { $0 = true }
            }
            try await client.shutdown()

            #expect(after == (try NIOSSLCertificate.fromPEMFile(renewed.certificate)[0].toDERBytes()))
            #expect(try await presentedCertificate(port: workspace.managementPort, pki: workspace.pki) == after)
            #expect(failures.withLockedValue { $0 }.isEmpty, "exchanges failed across the reload: \(failures.withLockedValue { $0 }.prefix(5))")
            #expect(answered.withLockedValue { $0.count } >= 40)
            let metrics = try await workspace.metrics()
            #expect(metrics.contains(#"switchboard_configuration_reloads_total{result="applied"} 1"#), "\(metrics)")
            #expect(await workspace.stop(server))
        }
    }

    @Test("a key that does not match the certificate is refused, logged and counted; the old pair stays in force")
    func badKeyIsRefused() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            try await waitUntilListening(workspace.managementPort)
            let before = try await presentedCertificate(port: workspace.port, pki: workspace.pki)
            // A renewal half done: the new key beside the old certificate.
            let renewed = try workspace.pki.renewedProxyCertificate()
            try replace(workspace.pki.proxy.privateKey, with: renewed.privateKey)
            kill(server.processIdentifier, SIGHUP)
            let log = workspace.folder.appendingPathComponent("serve.log")
            #expect(try await eventually(timeout: .seconds(15)) {
                try String(contentsOf: log, encoding: .utf8).contains("configuration reload refused")
            })
            #expect(try await presentedCertificate(port: workspace.port, pki: workspace.pki) == before)
            let status = try await workspace.withClient { client in
                try await client.execute(workspace.request(), timeout: .seconds(10)).status
            }
            #expect(status == .ok)
            let metrics = try await workspace.metrics()
            #expect(metrics.contains(#"switchboard_configuration_reloads_total{result="refused"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"switchboard_configuration_reloads_total{result="applied"} 0"#), "\(metrics)")
            #expect(await workspace.stop(server))
            let text = try String(contentsOf: log, encoding: .utf8)
            #expect(text.contains("proxy.tls"), "the refusal names the setting: \(text)")
        }
    }

    @Test("a consumer CA added to the bundle, a new rate limit and a changed setting that needs a restart, after SIGHUP")
    func caBundleAndRateLimits() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            try await waitUntilListening(workspace.managementPort)
            // A consumer whose CA is not (yet) in the bundle cannot get an answer.
            let newcomer = try workspace.pki.makeConsumerClient(presenting: workspace.pki.untrusted)
            let refused = try? await newcomer.execute(workspace.request(), timeout: .seconds(10))
            #expect(refused?.status != .ok)
            try await newcomer.shutdown()

            var bundle = try String(contentsOfFile: workspace.pki.consumerCA, encoding: .utf8)
            bundle += try String(contentsOfFile: workspace.pki.untrustedCA, encoding: .utf8)
            try bundle.write(toFile: workspace.pki.consumerCA, atomically: true, encoding: .utf8)
            try workspace.addProxySettings("limits: {maxConnections: 900}", "throttle: {consumerRequestsPerSecond: 0.01, consumerBurst: 2}")
            kill(server.processIdentifier, SIGHUP)
            let log = workspace.folder.appendingPathComponent("serve.log")
            let reloaded = try await eventually(timeout: .seconds(15)) {
                try await workspace.metrics().contains(#"switchboard_configuration_reloads_total{result="applied"} 1"#)
            }
            #expect(reloaded, "\((try? String(contentsOf: log, encoding: .utf8)) ?? "")")

            // The newcomer's CA is trusted now (a new client: a new handshake); with a burst of 2,
            // its third request is refused 429.
            let trusted = try workspace.pki.makeConsumerClient(presenting: workspace.pki.untrusted)
            var statuses: [Int] = []
            for _ in 0..<3 {
                guard let response = try? await trusted.execute(workspace.request(), timeout: .seconds(10)) else {
                    statuses.append(0)
                    continue
                }
                _ = try? await response.body.collect(upTo: 1 << 20)
                statuses.append(Int(response.status.code))
            }
            try await trusted.shutdown()
            #expect(statuses == [200, 200, 429])
            #expect(await workspace.stop(server))
            let text = try String(contentsOf: log, encoding: .utf8)
            #expect(text.contains("take effect at the next restart") && text.contains("proxy.limits.maxConnections"), "\(text)")
        }
    }
}

/// Replaces `path`'s content with `source`'s the way a renewal tool does: a new file renamed over it.
private func replace(_ path: String, with source: String) throws {
    let temporary = path + ".new"
    try? FileManager.default.removeItem(atPath: temporary)
    try FileManager.default.copyItem(atPath: source, toPath: temporary)
    guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}

/// The DER bytes of the leaf certificate a new TLS connection to `port` is shown (verified
/// against the consumer CA, as a consumer would).
private func presentedCertificate(port: Int, pki: TestPKI) async throws -> [UInt8] {
    let context = try NIOSSLContext(configuration: try pki.consumerTLS())
    let handshake = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: "localhost"))
                try channel.pipeline.syncOperations.addHandler(HandshakeWatcher(promise: handshake))
            }
        }
        .connect(host: "127.0.0.1", port: port).get()
    defer { channel.close(promise: nil) }
    try await handshake.futureResult.get()
    guard let certificate = try await channel.nioSSL_peerCertificate().get() else { throw HandshakeWatcher.NoCertificate() }
    return try certificate.toDERBytes()
}

/// Completes its promise when the TLS handshake does, or fails it with the connection's error.
private final class HandshakeWatcher: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    struct NoCertificate: Error {}
    struct Closed: Error {}
    let promise: EventLoopPromise<Void>

    init(promise: EventLoopPromise<Void>) { self.promise = promise }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { promise.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(Closed())
    }
}
