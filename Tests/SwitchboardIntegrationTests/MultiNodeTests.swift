import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardAudit
import Logging
import SwitchboardPostgres
import SwitchboardStorage
import SwitchboardTesting
import Testing

/// Two real `switchboard serve` processes on one PostgreSQL database, as a national deployment
/// runs them behind a load balancer.
@Suite(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
struct MultiNodeTests {
    @Test func twoNodesShareRoutesAndAuditAndSurviveAKill() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle, databaseURL: url) { nodeA, _ in
                let nodeB = try nodeA.addNode("node-b")
                let serverA = try nodeA.startServer(log: "node-a.log")
                var serverB = try nodeB.startServer(log: "node-b.log")
                defer { serverA.terminate(); serverB.terminate() }
                try await waitUntilListening(nodeA.port)
                try await waitUntilListening(nodeB.port)
                let client = try nodeA.makeClient()
                defer { _ = client.shutdown() }

                // Traffic through both nodes; node B is killed with -9 while under load.
                let answeredA = NIOLockedValueBox<[String]>([])
                let answeredB = NIOLockedValueBox<[String]>([])
                let stopA = NIOLockedValueBox(false)
                let stopB = NIOLockedValueBox(false)
                let nodeBProcess = serverB.processIdentifier
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<3 {
                        group.addTask { await nodeA.sendSlotSearches(client: client, until: stopA, answered: answeredA) }
                        group.addTask { await nodeB.sendSlotSearches(client: client, until: stopB, answered: answeredB) }
                    }
                    group.addTask {
                        await eventually(timeout: .seconds(15)) { answeredB.withLockedValue { $0.count } >= 60 }
                        kill(nodeBProcess, SIGKILL)
                        await eventually { kill(nodeBProcess, 0) != 0 }
                        stopB.withLockedValue { $0 = true }
                        // Node A goes on serving after B's death.
                        let answeredByA = answeredA.withLockedValue { $0.count }
                        await eventually { answeredA.withLockedValue { $0.count } >= answeredByA + 20 }
                        stopA.withLockedValue { $0 = true }
                    }
                }
                serverB.waitUntilExit()
                let acknowledged = answeredA.withLockedValue { $0 } + answeredB.withLockedValue { $0 }
                #expect(answeredA.withLockedValue { $0.count } > 20 && answeredB.withLockedValue { $0.count } > 20,
                        "both nodes served (\(answeredA.withLockedValue { $0.count }) and \(answeredB.withLockedValue { $0.count }))")

                // Node B comes back (marking what it left open as interrupted).
                serverB = try nodeB.startServer(log: "node-b-2.log")
                try await waitUntilListening(nodeB.port)

                // Every answered exchange of either node has its completed record.
                try await StoreTasks.run {
                    let store = try await PostgresAuditStore(location: try PostgresLocation(url: url), logger: .init(label: "test"))
                    var missing: [String] = []
                    for trace in acknowledged {
                        let records = try await store.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records
                        if records.count != 1 || records.first?.outcome != .forwarded || records.first?.status != 200 { missing.append(trace) }
                    }
                    #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) answered exchanges lack a completed record")

                    // A route retired through node A's management API is in force on node B within a second.
                    let token = try await nodeA.cli.run("tokens", "add", "--role", "admin", "--name", "ops", "--config", nodeA.config.path)
                    #expect(token.status == 0, "\(token.error)")
                    let before = try await client.execute(nodeB.request(), timeout: .seconds(5))
                    #expect(before.status == .ok)
                    let bearer = "Bearer \(token.output.trimmingCharacters(in: .whitespacesAndNewlines))"
                    let systemURL = "https://localhost:\(nodeA.managementPort)/admin/systems/918999198001"
                    let management = try Self.managementClient(nodeA)
                    defer { _ = management.shutdown() }
                    var read = HTTPClientRequest(url: systemURL)
                    read.headers.add(name: "Authorization", value: bearer)
                    let current = try await management.execute(read, timeout: .seconds(10))
                    #expect(current.status == .ok)
                    var retire = HTTPClientRequest(url: systemURL)
                    retire.method = .DELETE
                    retire.headers.add(name: "Authorization", value: bearer)
                    retire.headers.add(name: "If-Match", value: current.headers.first(name: "ETag") ?? "")
                    let retired = try await management.execute(retire, timeout: .seconds(10))
                    #expect(retired.status == .ok)
                    let changed = ContinuousClock.now
                    var seenOnB: Duration?
                    while changed.duration(to: .now) < .seconds(3) {
                        let response = try await client.execute(nodeB.request(), timeout: .seconds(5))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        if response.status != .ok { seenOnB = changed.duration(to: .now); break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    #expect(seenOnB != nil && seenOnB! < .seconds(1), "node B used the change after \(String(describing: seenOnB))")

                    // Both chains verify, across nodes, from the CLI as an auditor would run it.
                    let verify = try await nodeA.cli.run("audit", "verify", "--config", nodeA.config.path)
                    #expect(verify.status == 0, "\(verify.output)\(verify.error)")
                    #expect(verify.output.contains("node serve-test: intact"))
                    #expect(verify.output.contains("node node-b: intact"))
                    let chains = try await store.verify(node: nil)
                    #expect(chains.isIntact)
                    #expect(Set(chains.chains.map(\.node)) == ["serve-test", "node-b"])
                }
            }
        }
    }

    static func managementClient(_ workspace: ServeWorkspace) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(workspace.pki.consumerCA))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }
}
