import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

/// A folder with certificates, routing tables pointing at a test provider, stores and a config
/// file, for tests that run the real `switchboard serve`.
struct ServeWorkspace {
    var folder: URL
    var pki: TestPKI
    var config: URL
    var port: Int
    var practiceAddress: String
    var cli: CommandRunner
    var auditPath: String { folder.appendingPathComponent("audit.sqlite").path }

    /// Starts `switchboard serve` with this workspace's configuration.
    func startServer(log: String = "serve.log") throws -> Process {
        try cli.start(["serve", "--config", config.path], log: folder.appendingPathComponent(log))
    }

    /// A request from the sample consumer to the sample practice.
    func request(_ path: String = "/Slot?status=free", interaction: InteractionID = SampleDirectory.slotSearch, traceID: String = UUID().uuidString) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: "https://localhost:\(port)/\(practiceAddress)\(path)")
        request.headers = HTTPHeaders([
            ("Ssp-TraceID", traceID), ("Ssp-From", "200000000359"), ("Ssp-To", "918999198001"),
            ("Ssp-InteractionID", interaction.rawValue), ("Authorization", TestJWT(audience: practiceAddress).authorization),
        ])
        return request
    }

    func makeClient() throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.consumerCA))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.consumer.certificate).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.consumer.privateKey, format: .pem))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow, decompression: .disabled)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }

    static func with(behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action,
                     _ body: (ServeWorkspace, TestProvider) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let pki = try TestPKI(folder: folder)
            let provider = try await TestProvider(certificate: pki.provider.certificate, privateKey: pki.provider.privateKey, behaviour: behaviour)
            let practiceAddress = "https://localhost:\(provider.port)/A81001/STU3/1/gpconnect"
            let tables = folder.appendingPathComponent("RoutingTables")
            try RoutingTableFiles.write(SampleDirectory.tables(practiceAddress: practiceAddress), to: tables)
            let port = try freeLoopbackPort()
            let managementPort = try freeLoopbackPort()
            let config = folder.appendingPathComponent("switchboard.yaml")
            try """
                node: {id: serve-test}
                directory:
                  store: sqlite:\(folder.path)/directory.sqlite
                  routingTables: \(tables.path)
                  endpointPolicy: {allowLoopback: true}
                proxy:
                  listen: {host: 127.0.0.1, port: \(port)}
                  tls: {certificate: \(pki.proxy.certificate), privateKey: \(pki.proxy.privateKey), clientCA: \(pki.consumerCA)}
                  upstream: {caBundle: \(pki.providerCA)}
                audit:
                  store: sqlite:\(folder.path)/audit.sqlite
                management:
                  port: \(managementPort)
                  certificate: \(pki.proxy.certificate)
                  privateKey: \(pki.proxy.privateKey)
                  tokensFile: \(folder.path)/tokens.json
                logging: {level: warning}
                """.write(to: config, atomically: true, encoding: .utf8)
            let cli = CommandRunner(workingDirectory: folder)
            let imported = try cli.run("routes", "import", "--config", config.path)
            #expect(imported.status == 0, "\(imported.error)")
            let workspace = ServeWorkspace(folder: folder, pki: pki, config: config, port: port, practiceAddress: practiceAddress, cli: cli)
            do {
                try await body(workspace, provider)
            } catch {
                await provider.shutdown()
                throw error
            }
            await provider.shutdown()
        }
    }
}
