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

/// Runs the real `switchboard serve` process.
@Suite struct ServeCommandTests {
    /// A workspace with certificates, routing tables pointing at `provider`, and a config file.
    struct Workspace {
        var folder: URL
        var pki: TestPKI
        var config: URL
        var port: Int
        var practiceAddress: String
        var cli: CommandRunner
    }

    func withWorkspace(provider: TestProvider? = nil, behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action,
                       _ body: (Workspace, TestProvider) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let pki = try TestPKI(folder: folder)
            let provider = try await TestProvider(certificate: pki.provider.certificate, privateKey: pki.provider.privateKey, behaviour: behaviour)
            let practiceAddress = "https://localhost:\(provider.port)/A81001/STU3/1/gpconnect"
            let tables = folder.appendingPathComponent("RoutingTables")
            try RoutingTableFiles.write(SampleDirectory.tables(practiceAddress: practiceAddress), to: tables)
            let port = try freeLoopbackPort()
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
                logging: {level: warning}
                """.write(to: config, atomically: true, encoding: .utf8)
            let cli = CommandRunner(workingDirectory: folder)
            let imported = try cli.run("routes", "import", "--config", config.path)
            #expect(imported.status == 0, "\(imported.error)")
            do {
                try await body(Workspace(folder: folder, pki: pki, config: config, port: port, practiceAddress: practiceAddress, cli: cli), provider)
            } catch {
                await provider.shutdown()
                throw error
            }
            await provider.shutdown()
        }
    }

    @Test func fiftyMegabyteResponseStreamsWithBoundedMemory() async throws {
        let fifty = 50 * 1024 * 1024
        try await withWorkspace(behaviour: { request in
            request.uri.hasSuffix("/metadata") ? .stream(status: 200, totalBytes: fifty, chunkBytes: 64 * 1024, chunked: false)
                : .respond(status: 200, headers: [], body: Data("{}".utf8))
        }) { workspace, _ in
            let server = try workspace.cli.start(["serve", "--config", workspace.config.path], log: workspace.folder.appendingPathComponent("serve.log"))
            defer { server.terminate() }
            let client = try makeClient(workspace.pki)
            do {
                try await waitUntilListening(workspace.port)
                func request(_ path: String) -> HTTPClientRequest {
                    var request = HTTPClientRequest(url: "https://localhost:\(workspace.port)/\(workspace.practiceAddress)\(path)")
                    request.headers = HTTPHeaders([
                        ("Ssp-TraceID", UUID().uuidString), ("Ssp-From", "200000000359"), ("Ssp-To", "918999198001"),
                        ("Ssp-InteractionID", path == "/metadata" ? SampleDirectory.metadata.rawValue : SampleDirectory.slotSearch.rawValue),
                        ("Authorization", TestJWT(audience: workspace.practiceAddress).authorization),
                    ])
                    return request
                }
                let warm = try await client.execute(request("/Slot"), timeout: .seconds(10))
                #expect(warm.status == .ok)
                _ = try await warm.body.collect(upTo: 1 << 20)
                let before = try peakResidentKiB(server.processIdentifier)

                let response = try await client.execute(request("/metadata"), timeout: .seconds(60))
                #expect(response.status == .ok)
                var received = 0
                for try await chunk in response.body { received += chunk.readableBytes }
                #expect(received == fifty)
                let after = try peakResidentKiB(server.processIdentifier)
                #expect(after - before < 20 * 1024, "peak resident grew by \(after - before) KiB streaming 50 MiB")
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()

            server.terminate()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
        }
    }

    @Test func unreadableCertificateStopsStartUpNamingTheSetting() async throws {
        try await withWorkspace(behaviour: { _ in .hang }) { workspace, _ in
            let result = try workspace.cli.run("serve", "--config", workspace.config.path, "--help")
            #expect(result.status == 0)
            var environment = workspace.cli
            environment.environment["SWITCHBOARD_PROXY_TLS_CERTIFICATE"] = "/nonexistent/proxy.pem"
            let failed = try environment.run("serve", "--config", workspace.config.path)
            #expect(failed.status == 1)
            #expect(failed.error.contains("setting proxy.tls.certificate: cannot read '/nonexistent/proxy.pem'"))
        }
    }

    func makeClient(_ pki: TestPKI) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(pki.consumerCA))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(pki.consumer.certificate).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: pki.consumer.privateKey, format: .pem))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow, decompression: .disabled)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }
}

/// Peak resident memory of a process, from /proc.
func peakResidentKiB(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
}

/// Waits until something accepts connections on the loopback port.
func waitUntilListening(_ port: Int, timeout: Duration = .seconds(20)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        close(fd)
        if connected == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw CLIError("nothing listening on \(port)")
}

struct CLIError: Error { var message: String; init(_ message: String) { self.message = message } }

/// A loopback port nothing listens on now.
func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
