import NIOCore
import AsyncHTTPClient
import Foundation
import NIOHTTP1
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

    /// The real server signs checkpoints with a key `audit checkpoint-key` made, the last as it
    /// stops, in the store and in a file outside it: `audit verify --public-key` proves the chain
    /// to its last record; another key proves nothing; an altered record breaks the proof.
    @Test func signedCheckpointsProveTheChainToItsLastRecord() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let cli = workspace.cli
            let keyFiles = ["--private-key", "keys/checkpoint.pem", "--public-key", "checkpoint.pub.pem"]
            let made = try await cli.run(["audit", "checkpoint-key"] + keyFiles)
            #expect(made.status == 0, "\(made.error)")
            #expect(made.output.contains("checkpoint key ed25519:"))
            let permissions = try FileManager.default.attributesOfItem(atPath: workspace.folder.appendingPathComponent("keys/checkpoint.pem").path)[.posixPermissions]
            #expect(permissions as? Int == 0o600)
            let again = try await cli.run(["audit", "checkpoint-key"] + keyFiles)
            #expect(again.status == 1)
            #expect(again.error.contains("keys/checkpoint.pem exists already"))
            #expect(try await cli.run(["audit", "checkpoint-key", "--private-key", "other.pem", "--public-key", "other.pub.pem"]).status == 0)

            try workspace.addSettings(section: "audit", ["checkpoints: {signingKey: keys/checkpoint.pem, outsideFile: checkpoints.jsonl}"])
            let server = try workspace.startServer()
            try await waitUntilListening(workspace.port)
            let client = try workspace.makeClient()
            for _ in 0..<3 {
                let response = try await client.execute(workspace.request(), timeout: .seconds(5))
                _ = try await response.body.collect(upTo: 1 << 20)
                #expect(response.status.code == 200)
            }
            try await client.shutdown()
            #expect(await workspace.stop(server))
            let config = ["--config", workspace.config.path]

            let proven = try await cli.run(["audit", "verify", "--public-key", "checkpoint.pub.pem"] + config)
            #expect(proven.status == 0, "\(proven.output)\(proven.error)")
            #expect(proven.output.contains("node serve-test: intact, 6 records"))
            #expect(proven.output.contains("node serve-test: proven through record 6 by the checkpoint signed 20"), "\(proven.output)")
            #expect(proven.output.contains("no record after it"))
            let copied = try String(contentsOf: workspace.folder.appendingPathComponent("checkpoints.jsonl"), encoding: .utf8)
            #expect(copied.contains("\"sequence\":6"))

            let unchecked = try await cli.run(["audit", "verify"] + config)
            #expect(unchecked.status == 0)
            #expect(unchecked.output.contains("1 signed checkpoint not checked: give --public-key"), "\(unchecked.output)")

            let stranger = try await cli.run(["audit", "verify", "--public-key", "other.pub.pem"] + config)
            #expect(stranger.status == 1)
            #expect(stranger.output.contains("UNKNOWN-KEY"))
            #expect(stranger.output.contains("node serve-test: not proven"))

            let notAKey = try await cli.run(["audit", "verify", "--public-key", "keys/checkpoint.pem"] + config)
            #expect(notAKey.status == 1)
            #expect(notAKey.error.contains("--public-key: 'keys/checkpoint.pem' holds no PEM public key"))

            try await sqliteShell(workspace.auditPath, "DROP TRIGGER audit_record_no_update; UPDATE audit_record SET status = 201 WHERE node_seq = 3")
            let altered = try await cli.run(["audit", "verify", "--public-key", "checkpoint.pub.pem"] + config)
            #expect(altered.status == 1)
            #expect(altered.output.contains("BROKEN at record 3"))
        }
    }

    /// `audit nhs-number-key` makes the key; the server keeps the keyed hash of the NHS number a
    /// request names; `audit query --nhs-number` finds the exchange, refuses a number that fails
    /// its check digit, and says what is missing without the key.
    @Test func aPatientsExchangesAreFoundByNHSNumber() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let cli = workspace.cli
            let made = try await cli.run(["audit", "nhs-number-key", "--out", "keys/nhs-number.key"])
            #expect(made.status == 0, "\(made.error)")
            #expect(try await cli.run(["audit", "nhs-number-key", "--out", "keys/nhs-number.key"]).error.contains("exists already"))
            let config = ["--config", workspace.config.path]
            let unkeyed = try await cli.run(["audit", "query", "--nhs-number", "9000000009"] + config)
            #expect(unkeyed.status == 1)
            #expect(unkeyed.error.contains("--nhs-number: records hold no NHS number look-ups here: audit.nhsNumberKey is not set"))

            try workspace.addSettings(section: "audit", ["nhsNumberKey: keys/nhs-number.key"])
            let server = try workspace.startServer()
            try await waitUntilListening(workspace.port)
            let client = try workspace.makeClient()
            for path in ["/Slot?status=free&identifier=https://fhir.nhs.uk/Id/nhs-number%7C9000000009", "/Slot?status=free"] {
                _ = try await client.execute(workspace.request(path), timeout: .seconds(5)).body.collect(upTo: 1 << 20)
            }
            try await client.shutdown()
            #expect(await workspace.stop(server))

            let found = try await cli.run(["audit", "query", "--nhs-number", "9000000009", "--format", "csv"] + config)
            #expect(found.status == 0, "\(found.error)")
            let rows = found.output.split(separator: "\r\n")
            #expect(rows.count == 2, "\(found.output)")
            #expect(rows.last?.contains("nhs-number%7C[nhs-number]") == true)
            #expect(!found.output.contains("9000000009"))
            let invalid = try await cli.run(["audit", "query", "--nhs-number", "9000000001"] + config)
            #expect(invalid.status == 1)
            #expect(invalid.error.contains("--nhs-number: is not an NHS number: it fails its check digit"))
        }
    }
}
