import NIOCore
import AsyncHTTPClient
import Foundation
import SwitchboardTesting
import Testing

/// `switchboard audit …` against a log the real server wrote.
@Suite struct AuditCommandTests {
    @Test func queryExportReportVerifyAndTamper() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            try await waitUntilListening(workspace.port)
            let client = try workspace.makeClient()
            let trace = UUID().uuidString
            let response = try await client.execute(workspace.request(traceID: trace), timeout: .seconds(5))
            _ = try await response.body.collect(upTo: 1 << 20)
            for _ in 0..<3 { _ = try await client.execute(workspace.request(), timeout: .seconds(5)).body.collect(upTo: 1 << 20) }
            try await client.shutdown()
            server.terminate()
            server.waitUntilExit()
            let config = ["--config", workspace.config.path]
            let cli = workspace.cli

            let query = try await cli.run(["audit", "query", "--trace-id", trace] + config)
            #expect(query.status == 0, "\(query.error)")
            let page = try JSONSerialization.jsonObject(with: Data(query.output.utf8)) as? [String: Any]
            let records = try #require(page?["records"] as? [[String: Any]])
            #expect(records.count == 1)
            #expect(records.first?["outcome"] as? String == "forwarded")
            #expect(records.first?["status"] as? Int == 200)

            let csv = try await cli.run(["audit", "query", "--format", "csv", "--asid", "918999198001"] + config)
            #expect(csv.output.split(separator: "\r\n").count == 5)
            let fhir = try await cli.run(["audit", "query", "--format", "fhir", "--limit", "2"] + config)
            #expect(fhir.output.contains("\"resourceType\":\"Bundle\""))
            #expect(fhir.error.contains("more records: --cursor"))

            let show = try await cli.run(["audit", "show", try #require(records.first?["id"] as? String)] + config)
            #expect(show.output.contains("\"traceID\" : \"\(trace)\""))

            let report = try await cli.run(["audit", "report", "--format", "csv"] + config)
            #expect(report.output.contains("total,all,4,4,0,0,"))

            let intact = try await cli.run(["audit", "verify"] + config)
            #expect(intact.status == 0)
            try await sqliteShell(workspace.auditPath, "DROP TRIGGER audit_record_no_update; UPDATE audit_record SET status = 201 WHERE node_seq = 3")
            let broken = try await cli.run(["audit", "verify"] + config)
            #expect(broken.status == 1)
            #expect(broken.output.contains("BROKEN at record 3"))
            #expect(broken.error.contains("Error: the audit log does not verify"))

            let bad = try await cli.run(["audit", "query", "--asid", "123"] + config)
            #expect(bad.status == 1)
            #expect(bad.error.contains("Error: --asid: '123' is not a 12-digit ASID"))
            let prune = try await cli.run(["audit", "prune"] + config)
            #expect(prune.status == 1)
            #expect(prune.error.contains("no retention period"))
        }
    }
}
