import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardAudit
import SwitchboardTesting
import Testing

/// The running process: changes from the CLI, SIGTERM, tokens.
@Suite struct OperationsTests {
    @Test func aCLIChangeReachesTheRunningProxyWithinASecond() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate(); server.waitUntilExit() }
            try await waitUntilListening(workspace.port)
            let client = try workspace.makeClient()
            let before = try await client.execute(workspace.request(), timeout: .seconds(5))
            #expect(before.status == .ok)
            _ = try await before.body.collect(upTo: 1 << 20)

            let retired = try await workspace.cli.run("routes", "retire", "agreement", "secamb-111-to-a81001", "--config", workspace.config.path)
            #expect(retired.status == 0, "\(retired.error)")
            let changed = ContinuousClock.now
            var status = HTTPResponseStatus.ok
            // The change had reached the proxy by the time the first refused request was sent
            // (how long that request then took under a busy test machine is not the point).
            var sent = changed
            while status == .ok && changed.duration(to: .now) < .seconds(3) {
                sent = .now
                let response = try await client.execute(workspace.request(), timeout: .seconds(5))
                status = response.status
                _ = try await response.body.collect(upTo: 1 << 20)
                if status == .ok { try await Task.sleep(for: .milliseconds(20)) }
            }
            let took = changed.duration(to: sent)
            #expect(status == .forbidden)
            #expect(took < .seconds(1), "the change took \(took) to reach the proxy")
            try await client.shutdown()
        }
    }

    @Test func sigtermUnderTrafficLosesNoExchangeAndNoRecord() async throws {
        try await ServeWorkspace.with(behaviour: { _ in
            Thread.sleep(forTimeInterval: 0.02)
            return .respond(status: 200, headers: [("Content-Type", "application/fhir+json")], body: Data(#"{"resourceType":"Bundle"}"#.utf8))
        }) { workspace, _ in
            let server = try workspace.startServer()
            try await waitUntilListening(workspace.port)
            // SIGTERM mid-traffic: once exchanges are flowing.
            let acknowledged = try await workspace.answeredUntilSignalled(server, senders: 4, threshold: 10, signal: SIGTERM, exitTimeout: .seconds(30))
            #expect(server.terminationStatus == 0)
            let store = try SQLiteAuditStore(path: workspace.auditPath)
            #expect(acknowledged.count > 5)
            for trace in acknowledged {
                let records = try await store.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records
                #expect(records.count == 1 && records.first?.outcome == .forwarded, "\(trace)")
            }
            #expect(try await store.exchanges(try AuditQuery(parameters: [("outcome", "in-progress")])).records.isEmpty, "an exchange was left open")
            #expect(try await store.exchanges(try AuditQuery(parameters: [("outcome", "interrupted")])).records.isEmpty)
            #expect(try await store.verify(node: nil).isIntact)
        }
    }

    @Test func tokensAreShownOnceAndStoredAsHashes() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let config = ["--config", workspace.config.path]
            let added = try await workspace.cli.run(["tokens", "add", "--role", "auditor", "--name", "siem"] + config)
            #expect(added.status == 0, "\(added.error)")
            let token = added.output.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(token.hasPrefix("sbt_"))
            #expect(token.count == 47)
            let stored = try String(contentsOfFile: workspace.folder.appendingPathComponent("tokens.json").path, encoding: .utf8)
            #expect(!stored.contains(token))
            #expect(stored.contains("\"sha256\""))
            let duplicate = try await workspace.cli.run(["tokens", "add", "--role", "admin", "--name", "siem"] + config)
            #expect(duplicate.status == 1)
            let list = try await workspace.cli.run(["tokens", "list"] + config)
            #expect(list.output.contains("siem") && list.output.contains("auditor") && list.output.contains("live"))
            #expect(!list.output.contains(token))
            #expect(try await workspace.cli.run(["tokens", "revoke", "siem"] + config).status == 0)
            #expect(try await workspace.cli.run(["tokens", "list"] + config).output.contains("revoked"))
        }
    }
}
