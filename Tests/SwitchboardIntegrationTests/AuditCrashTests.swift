import NIOHTTP1
import NIOCore
import AsyncHTTPClient
import Foundation
import SwitchboardAudit
import SwitchboardTesting
import Testing

/// `kill -9` under load: every exchange whose consumer got an answer has its completed record,
/// records left open are marked interrupted at the next start, and the chain verifies.
@Suite struct AuditCrashTests {
    @Test func killNineLosesNoAnsweredExchange() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            try await waitUntilListening(workspace.port)
            // Kill mid-load: once plenty has been answered.
            let acknowledged = try await workspace.answeredUntilSignalled(server, senders: 6, threshold: 100, signal: SIGKILL, exitTimeout: .seconds(10))
            #expect(acknowledged.count > 20, "load reached the proxy before the kill (\(acknowledged.count) answered)")

            // The next start marks what was left open as interrupted.
            let restarted = try workspace.startServer(log: "serve-2.log")
            try await waitUntilListening(workspace.port)
            for _ in 0..<100 {
                let open = try await SQLiteAuditStore(path: workspace.auditPath).exchanges(try AuditQuery(parameters: [("outcome", "in-progress")]))
                if open.records.isEmpty { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            restarted.terminate()
            restarted.waitUntilExit()

            let store = try SQLiteAuditStore(path: workspace.auditPath)
            var missing: [String] = []
            for trace in acknowledged {
                let records = try await store.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records
                if records.count != 1 || records.first?.outcome != .forwarded || records.first?.status != 200 { missing.append(trace) }
            }
            #expect(missing.isEmpty, "\(missing.count) of \(acknowledged.count) answered exchanges lack a completed record")
            #expect(try await store.exchanges(try AuditQuery(parameters: [("outcome", "in-progress")])).records.isEmpty)
            #expect(try await store.verify(node: nil).isIntact)
            let verify = try await workspace.cli.run("audit", "verify", "--config", workspace.config.path)
            #expect(verify.status == 0, "\(verify.output)\(verify.error)")
            #expect(verify.output.contains("node serve-test: intact"))
        }
    }
}

enum ProxyStyle {
    @Sendable static func smallBundle(_ request: TestProvider.ReceivedRequest) -> TestProvider.Action {
        .respond(status: 200, headers: [("Content-Type", "application/fhir+json")], body: Data(#"{"resourceType":"Bundle","type":"searchset","total":0}"#.utf8))
    }
}
