import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardHarness
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
    func startServer(log: String = "serve.log") throws -> BackgroundProgram {
        try cli.start(["serve", "--config", config.path], log: folder.appendingPathComponent(log))
    }

    /// Stops `server` with SIGTERM; whether it exited within `timeout`. One that did not is
    /// killed, so a graceful shutdown that hangs fails its test instead of outliving it.
    func stop(_ server: BackgroundProgram, timeout: Duration = .seconds(20)) async -> Bool {
        guard server.isRunning else { return true }
        server.terminate()
        if await eventually(timeout: timeout, { !server.isRunning }) { return true }
        kill(server.processIdentifier, SIGKILL)
        return false
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

    /// Sends slot searches through this node until `stop` holds, collecting the trace ids
    /// answered 200 (the exchanges whose records must exist whatever happens to the process) and,
    /// when `failures` is given, a line for every other outcome.
    func sendSlotSearches(client: HTTPClient, until stop: NIOLockedValueBox<Bool>, answered: NIOLockedValueBox<[String]>,
                          failures: NIOLockedValueBox<[String]>? = nil, timeout: TimeAmount = .seconds(5)) async {
        while !stop.withLockedValue({ $0 }) {
            let trace = UUID().uuidString
            do {
                let response = try await client.execute(request(traceID: trace), timeout: timeout)
                _ = try await response.body.collect(upTo: 1 << 20)
                if response.status == .ok {
                    answered.withLockedValue { $0.append(trace) }
                } else {
                    failures?.withLockedValue { $0.append("\(trace): \(response.status)") }
                }
            } catch {
                failures?.withLockedValue { $0.append("\(trace): \(error)") }
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
    }

    /// The management listener's `/metrics` text.
    func metrics() async throws -> String {
        try await withClient { client in
            let response = try await client.execute(HTTPClientRequest(url: "https://localhost:\(managementPort)/metrics"), timeout: .seconds(10))
            return String(buffer: try await response.body.collect(upTo: 1 << 22))
        }
    }

    func makeClient() throws -> HTTPClient {
        try pki.makeConsumerClient()
    }

    /// Sends slot searches through `server` on `senders` connections; once `threshold` have been
    /// answered (however long a busy machine takes, up to 15 s) sends it `signal` and waits up to
    /// `exitTimeout` for it to go. Returns the trace ids answered 200.
    func answeredUntilSignalled(_ server: BackgroundProgram, senders: Int, threshold: Int, signal: Int32, exitTimeout: Duration) async throws -> [String] {
        let client = try makeClient()
        let answered = NIOLockedValueBox<[String]>([])
        let stop = NIOLockedValueBox(false)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<senders {
                group.addTask { await sendSlotSearches(client: client, until: stop, answered: answered) }
            }
            group.addTask {
                await eventually(timeout: .seconds(15)) { answered.withLockedValue { $0.count } >= threshold }
                kill(server.processIdentifier, signal)
                await eventually(timeout: exitTimeout) { !server.isRunning }
                stop.withLockedValue { $0 = true }
            }
        }
        server.waitUntilExit()
        try await client.shutdown()
        return answered.withLockedValue { $0 }
    }

    /// Runs `body` with a client of the sample consumer, shut down however `body` ends.
    func withClient<T>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        let client = try makeClient()
        let result: T
        do {
            result = try await body(client)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        return result
    }

    /// Where both stores are: SQLite files in the folder, or one shared PostgreSQL database.
    var databaseURL: String?
    var tables: URL

    /// Writes a configuration for node `node` listening on `port` (and a management port).
    static func writeConfig(folder: URL, pki: TestPKI, tables: URL, databaseURL: String?, node: String, port: Int, managementPort: Int,
                            name: String) throws -> URL {
        let config = folder.appendingPathComponent(name)
        let directoryStore = databaseURL ?? "sqlite:\(folder.path)/directory.sqlite"
        let auditStore = databaseURL ?? "sqlite:\(folder.path)/audit.sqlite"
        try """
            node: {id: \(node)}
            directory:
              store: '\(directoryStore)'
              routingTables: \(tables.path)
              endpointPolicy: {allowLoopback: true}
            proxy:
              listen: {host: 127.0.0.1, port: \(port)}
              tls: {certificate: \(pki.proxy.certificate), privateKey: \(pki.proxy.privateKey), clientCA: \(pki.consumerCA)}
              upstream: {caBundle: \(pki.providerCA)}
            audit:
              store: '\(auditStore)'
            management:
              port: \(managementPort)
              certificate: \(pki.proxy.certificate)
              privateKey: \(pki.proxy.privateKey)
              tokensFile: \(folder.path)/tokens.json
            logging: {level: warning}
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    /// Adds `settings` (YAML lines indented under `proxy:`, e.g. `throttle: {…}`) to the
    /// configuration file's `proxy` section.
    func addProxySettings(_ settings: String...) throws {
        try addSettings(section: "proxy", settings)
    }

    /// Adds `settings` (YAML lines, e.g. `checkpoints: {…}`) to the configuration file's `section`.
    func addSettings(section: String, _ settings: [String]) throws {
        var config = try String(contentsOf: self.config, encoding: .utf8)
        config = config.replacingOccurrences(of: "\n\(section):\n", with: "\n\(section):\n" + settings.map { "  \($0)\n" }.joined())
        try config.write(to: self.config, atomically: true, encoding: .utf8)
    }

    /// Another node on the same stores (a PostgreSQL workspace), with its own ports and config.
    func addNode(_ node: String) throws -> ServeWorkspace {
        var other = self
        other.port = try freeLoopbackPort()
        other.managementPort = try freeLoopbackPort()
        other.config = try Self.writeConfig(folder: folder, pki: pki, tables: tables, databaseURL: databaseURL, node: node, port: other.port,
                                            managementPort: other.managementPort, name: "\(node).yaml")
        return other
    }

    var managementPort: Int

    static func with(behaviour: @escaping @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action, databaseURL: String? = nil,
                     _ body: (ServeWorkspace, TestProvider) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let pki = try TestPKI(folder: folder)
            let provider = try await TestProvider(certificate: pki.provider.certificate, privateKey: pki.provider.privateKey, behaviour: behaviour)
            let practiceAddress = "https://localhost:\(provider.port)/A81001/STU3/1/gpconnect"
            let tables = folder.appendingPathComponent("RoutingTables")
            try RoutingTableFiles.write(SampleDirectory.tables(practiceAddress: practiceAddress), to: tables)
            let port = try freeLoopbackPort()
            let managementPort = try freeLoopbackPort()
            let config = try writeConfig(folder: folder, pki: pki, tables: tables, databaseURL: databaseURL, node: "serve-test", port: port,
                                         managementPort: managementPort, name: "switchboard.yaml")
            let cli = CommandRunner(workingDirectory: folder)
            let imported = try await cli.run("routes", "import", "--config", config.path)
            #expect(imported.status == 0, "\(imported.error)")
            let workspace = ServeWorkspace(folder: folder, pki: pki, config: config, port: port, practiceAddress: practiceAddress, cli: cli,
                                           databaseURL: databaseURL, tables: tables, managementPort: managementPort)
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
