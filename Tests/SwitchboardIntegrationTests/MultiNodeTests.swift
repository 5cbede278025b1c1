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

    @Test("a management token made with one node's configuration works on the other at once, and revoked there is refused here on the next request")
    func tokensAreSharedThroughTheDatabase() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle, databaseURL: url) { nodeA, _ in
                let nodeB = try nodeA.addNode("node-b")
                let serverA = try nodeA.startServer(log: "node-a.log")
                let serverB = try nodeB.startServer(log: "node-b.log")
                defer { serverA.terminate(); serverB.terminate() }
                try await waitUntilListening(nodeA.managementPort)
                try await waitUntilListening(nodeB.managementPort)

                let made = try await nodeA.cli.run("tokens", "add", "--role", "admin", "--name", "ops-shared", "--config", nodeA.config.path)
                #expect(made.status == 0, "\(made.error)")
                let token = made.output.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(!FileManager.default.fileExists(atPath: nodeA.folder.appendingPathComponent("tokens.json").path),
                        "with PostgreSQL stores no tokens file is written")
                let listed = try await nodeB.cli.run("tokens", "list", "--config", nodeB.config.path)
                #expect(listed.output.contains("ops-shared") && listed.output.contains("live"), "\(listed.output)")

                let management = try Self.managementClient(nodeA)
                defer { _ = management.shutdown() }
                func status(on node: ServeWorkspace) async throws -> HTTPResponseStatus {
                    var request = HTTPClientRequest(url: "https://localhost:\(node.managementPort)/admin/systems/918999198001")
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    return try await management.execute(request, timeout: .seconds(10)).status
                }
                #expect(try await status(on: nodeA) == .ok)
                #expect(try await status(on: nodeB) == .ok, "made through node A's configuration, accepted by node B")

                let revoked = try await nodeB.cli.run("tokens", "revoke", "ops-shared", "--config", nodeB.config.path)
                #expect(revoked.status == 0, "\(revoked.error)")
                #expect(try await status(on: nodeA) == .unauthorized, "revoked through node B, refused by node A at its next request")
                #expect(try await status(on: nodeB) == .unauthorized)
                let again = try await nodeA.cli.run("tokens", "revoke", "ops-shared", "--config", nodeA.config.path)
                #expect(again.status != 0 && again.error.contains("no live token is called 'ops-shared'"), "\(again.error)")
            }
        }
    }

    @Test("a consumer's burst spent on one node is refused on the other: the nodes share what they granted through the database")
    func rateLimitHoldsAcrossNodes() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle, databaseURL: url) { nodeA, _ in
                let nodeB = try nodeA.addNode("node-b")
                for node in [nodeA, nodeB] { try node.addProxySettings("throttle: {consumerRequestsPerSecond: 0.01, consumerBurst: 3}") }
                let serverA = try nodeA.startServer(log: "node-a.log")
                let serverB = try nodeB.startServer(log: "node-b.log")
                defer { serverA.terminate(); serverB.terminate() }
                for port in [nodeA.port, nodeB.port, nodeA.managementPort, nodeB.managementPort] { try await waitUntilListening(port) }

                func statuses(_ node: ServeWorkspace, _ count: Int) async throws -> [Int] {
                    try await node.withClient { client in
                        var statuses: [Int] = []
                        for _ in 0..<count {
                            let response = try await client.execute(node.request(), timeout: .seconds(10))
                            _ = try await response.body.collect(upTo: 1 << 20)
                            statuses.append(Int(response.status.code))
                        }
                        return statuses
                    }
                }
                #expect(try await statuses(nodeA, 4) == [200, 200, 200, 429], "node A grants the burst of 3")
                // Node B hears of node A's three grants at its next turn (200 ms)…
                let heard = try await eventually(timeout: .seconds(15)) {
                    try await nodeB.metrics().contains("switchboard_rate_limit_shared_admissions_total 3")
                }
                #expect(heard, "node B never took node A's grants from its buckets")
                // …so the consumer's first request there is refused; alone, node B would grant three more.
                #expect(try await statuses(nodeB, 1) == [429])
                let metricsB = try await nodeB.metrics()
                #expect(metricsB.contains("switchboard_rate_limit_sharing_failures_total 0"), "\(metricsB)")
                #expect(await nodeA.stop(serverA))
                #expect(await nodeB.stop(serverB))
            }
        }
    }

    @Test("behind HAProxy in TCP mode with send-proxy-v2: both nodes record the consumer's address, not the balancer's, and refuse a connection that bypasses it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/haproxy"), "HAProxy is not installed (Debian haproxy)"))
    func behindATCPBalancerWithProxyProtocol() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle, databaseURL: url) { first, provider in
                // The balancer connects to the nodes from 127.0.0.3; consumers connect to it from 127.0.0.1.
                let balancerSource = "127.0.0.3"
                var nodeA = first
                nodeA.config = try Self.withProxyProtocol(first.config, port: first.port, from: balancerSource)
                var nodeB = try first.addNode("node-b")
                nodeB.config = try Self.withProxyProtocol(nodeB.config, port: nodeB.port, from: balancerSource)
                let serverA = try nodeA.startServer(log: "node-a.log")
                let serverB = try nodeB.startServer(log: "node-b.log")
                defer { serverA.terminate(); serverB.terminate() }
                try await waitUntilListening(nodeA.port)
                try await waitUntilListening(nodeB.port)

                let balancerPort = try freeLoopbackPort()
                let balancerConfig = nodeA.folder.appendingPathComponent("haproxy.cfg")
                try """
                    global
                        maxconn 200
                    defaults
                        mode tcp
                        timeout connect 5s
                        timeout client 30s
                        timeout server 30s
                    frontend consumers
                        bind 127.0.0.1:\(balancerPort)
                        default_backend nodes
                    backend nodes
                        balance roundrobin
                        server node-a 127.0.0.1:\(nodeA.port) send-proxy-v2 source \(balancerSource)
                        server node-b 127.0.0.1:\(nodeB.port) send-proxy-v2 source \(balancerSource)

                    """.write(to: balancerConfig, atomically: true, encoding: .utf8)
                let balancer = try nodeA.cli.startTool("/usr/sbin/haproxy", ["-db", "-f", balancerConfig.path],
                                                      log: nodeA.folder.appendingPathComponent("haproxy.log"))
                defer { balancer.terminate() }
                do {
                    try await waitUntilListening(balancerPort)
                } catch {
                    let log = (try? String(contentsOf: nodeA.folder.appendingPathComponent("haproxy.log"), encoding: .utf8)) ?? ""
                    Issue.record("HAProxy did not start: \(log)")
                    throw error
                }

                // A new connection per exchange, so that round robin takes them to both nodes.
                var viaBalancer = nodeA
                viaBalancer.port = balancerPort
                var traces: [String] = []
                try await viaBalancer.withClient { client in
                    for _ in 0..<6 {
                        let trace = UUID().uuidString
                        var request = viaBalancer.request(traceID: trace)
                        request.headers.add(name: "Connection", value: "close")
                        let response = try await client.execute(request, timeout: .seconds(10))
                        _ = try await response.body.collect(upTo: 1 << 20)
                        #expect(response.status == .ok)
                        traces.append(trace)
                    }
                }
                // Straight to a node, not through the balancer: closed before the handshake.
                let bypass = try? await nodeA.withClient { client in
                    try await client.execute(nodeA.request(), timeout: .seconds(10)).status
                }
                #expect(bypass == nil, "a connection from an address not allowed to send PROXY headers is refused")

                try await StoreTasks.run {
                    let store = try await PostgresAuditStore(location: try PostgresLocation(url: url), logger: .init(label: "test"))
                    var nodes: Set<String> = []
                    for trace in traces {
                        let record = try await store.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records.first
                        #expect(record?.clientAddress == "127.0.0.1", "the consumer's address, not the balancer's \(balancerSource)")
                        if let node = record?.node { nodes.insert(node) }
                    }
                    #expect(nodes == ["serve-test", "node-b"], "round robin reached both nodes")
                }
                let forwarded = provider.requests.suffix(6)
                #expect(forwarded.count == 6)
                for request in forwarded {
                    #expect(request.header("X-Forwarded-For") == ["127.0.0.1"])
                    #expect(request.header("Forwarded").first?.contains("for=127.0.0.1") == true, "\(request.header("Forwarded"))")
                }
                let metrics = try await nodeA.metrics()
                let refused = metrics.split(separator: "\n").first { $0.hasPrefix(#"switchboard_proxy_protocol_refusals_total{reason="address-not-allowed"} "#) }
                #expect((refused?.split(separator: " ").last).flatMap { Double($0) } ?? 0 >= 1, "\(metrics)")
            }
        }
    }

    /// The node's configuration with `proxy.listen.proxyProtocol: v2` from `balancer`.
    static func withProxyProtocol(_ config: URL, port: Int, from balancer: String) throws -> URL {
        let text = try String(contentsOf: config, encoding: .utf8)
        let listen = "listen: {host: 127.0.0.1, port: \(port)}"
        #expect(text.contains(listen))
        let changed = config.deletingPathExtension().appendingPathExtension("proxy-protocol.yaml")
        try text.replacingOccurrences(of: listen, with: "listen: {host: 127.0.0.1, port: \(port), proxyProtocol: v2, proxyProtocolFrom: [\(balancer)]}")
            .write(to: changed, atomically: true, encoding: .utf8)
        return changed
    }

    static func managementClient(_ workspace: ServeWorkspace) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(workspace.pki.consumerCA))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }
}
