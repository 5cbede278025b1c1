import Foundation
import SwitchboardTesting
import Testing

/// `switchboard demo --exit-after-journey`, as a newcomer would run it (but on free ports).
@Suite struct DemoCommandTests {
    @Test func theJourneyGoesThroughAndIsAudited() async throws {
        try await withTemporaryDirectory { folder in
            let cli = CommandRunner(workingDirectory: Repository.root)
            let demo = folder.appendingPathComponent("demo")
            let result = try await cli.run("demo", "--folder", demo.path, "--proxy-port", "0", "--management-port", "0", "--exit-after-journey",
                                     "--routing-tables", Repository.routingTables.path)
            #expect(result.status == 0, "\(result.output)\n\(result.error)")
            let lines = result.output.split(separator: "\n").map(String.init)
            func step(_ number: Int) -> String? { lines.first { $0.hasPrefix("  \(number). ") } }
            #expect(step(1)?.contains(" 200 ") == true, "\(step(1) ?? "")")
            #expect(step(2)?.contains(" 200 ") == true && step(2)?.contains("Patient/1") == true, "\(step(2) ?? "")")
            #expect(step(3)?.contains(" 200 ") == true && step(3)?.contains("free slots") == true)
            #expect(step(4)?.contains(" 201 ") == true && step(4)?.contains("created Appointment/1") == true)
            #expect(step(5)?.contains(" 200 ") == true && step(5)?.contains("status booked") == true)
            #expect(step(6)?.contains(" 409 ") == true && step(6)?.contains("DUPLICATE_REJECTED") == true)
            #expect(step(7)?.contains(" 400 ") == true && step(7)?.contains("INTERACTION_VERB_OR_PATH_MISMATCH") == true)
            #expect(result.output.contains("hash chain: intact"))

            let config = demo.appendingPathComponent("switchboard.yaml").path
            let query = try await cli.run("audit", "query", "--config", config, "--format", "csv")
            #expect(query.status == 0, "\(query.error)")
            let records = query.output.split(separator: "\r\n").dropFirst()
            #expect(records.count == 7)
            #expect(records.filter { $0.contains(",forwarded,") }.count == 5)
            #expect(records.filter { $0.contains(",refused,") }.count == 1)
            #expect(records.filter { $0.contains(",answered,") }.count == 1)
            let verify = try await cli.run("audit", "verify", "--config", config)
            #expect(verify.status == 0)
            #expect(verify.output.contains("node demo-1: intact"))
        }
    }
}
