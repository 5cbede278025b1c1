import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SwitchboardTesting
import Testing

/// What an on-call engineer reads from `switchboard serve`'s `/metrics`, and the alert rules in
/// `Docs/operator-guide.md` that page them.
@Suite("Metrics and alert rules", .serialized)
struct MetricsTests {
    /// The rules block of the operator guide.
    static func alertRules() throws -> String {
        let guide = try String(contentsOf: Repository.root.appendingPathComponent("Docs/operator-guide.md"), encoding: .utf8)
        let afterHeading = try #require(guide.range(of: "### Alert rules")).upperBound
        let start = try #require(guide.range(of: "```yaml\n", range: afterHeading..<guide.endIndex)).upperBound
        let end = try #require(guide.range(of: "```", range: start..<guide.endIndex)).lowerBound
        return String(guide[start..<end])
    }

    @Test("the operator guide's alert rules pass promtool check rules, and each fires where it should (when promtool is installed)")
    func alertRulesCheckAndFire() async throws {
        guard let promtool = ["/usr/bin/promtool", "/usr/local/bin/promtool"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return
        }
        try await withTemporaryDirectory { folder in
            try Self.alertRules().write(to: folder.appendingPathComponent("rules.yaml"), atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(at: Repository.root.appendingPathComponent("Tests/Prometheus/alert-rules.test.yaml"),
                                             to: folder.appendingPathComponent("alert-rules.test.yaml"))
            let runner = CommandRunner(workingDirectory: folder)
            let checked = try await runner.runTool(promtool, ["check", "rules", "rules.yaml"])
            #expect(checked.status == 0, "\(checked.output)\(checked.error)")
            #expect(checked.output.contains("SUCCESS: 6 rules found"), "\(checked.output)")
            let tested = try await runner.runTool(promtool, ["test", "rules", "alert-rules.test.yaml"])
            #expect(tested.status == 0, "\(tested.output)\(tested.error)")
        }
    }

    @Test("/metrics counts exchanges and latency by provider and interaction, the provider pool, audit commits and certificate expiry, the revocation lists; every series the alert rules use exists")
    func metricsAnOnCallEngineerNeeds() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let crl = try workspace.pki.writeRevocationList(.consumerCA)
            try RevocationTests.configureRevocation(workspace, crls: [crl])
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            try await waitUntilListening(workspace.managementPort)
            try await workspace.withClient { client in
                for _ in 0..<2 {
                    let response = try await client.execute(workspace.request(), timeout: .seconds(10))
                    _ = try await response.body.collect(upTo: 1 << 20)
                    #expect(response.status == .ok)
                }
            }
            let metrics = try await workspace.metrics()
            #expect(await workspace.stop(server))

            func sample(_ series: String) -> Double? {
                metrics.split(separator: "\n").first { $0.hasPrefix(series + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            let slot = "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"
            #expect(sample(#"switchboard_exchanges_total{provider="A81001",interaction="\#(slot)",status="200",outcome="forwarded"}"#) == 2, "\(metrics)")
            #expect(sample(#"switchboard_exchange_duration_seconds_count{provider="A81001",interaction="\#(slot)"}"#) == 2)
            #expect(sample(#"switchboard_upstream_duration_seconds_count{provider="A81001",interaction="\#(slot)"}"#) == 2)
            #expect(sample("switchboard_upstream_connections") == 1, "one keep-alive connection to the practice, reused")
            #expect(sample("switchboard_upstream_busy_connections") == 0)
            #expect(sample("switchboard_upstream_waiting_exchanges") == 0)
            #expect(sample("switchboard_audit_commit_duration_seconds_count") ?? 0 >= 1)
            let proxyExpiry = try NIOSSLCertificate.fromPEMFile(workspace.pki.proxy.certificate)[0].notValidAfter
            #expect(sample(#"switchboard_certificate_expiry_timestamp_seconds{certificate="proxy"}"#) == Double(proxyExpiry))
            #expect(sample(#"switchboard_certificate_expiry_timestamp_seconds{certificate="consumer-ca"}"#) != nil)
            #expect(sample(#"switchboard_crl_stale{crl="\#(crl)"}"#) == 0)
            #expect(sample(#"switchboard_crl_next_update_timestamp_seconds{crl="\#(crl)"}"#) ?? 0 > Date().timeIntervalSince1970)

            // Every metric an alert rule reads is one this build exports.
            let names = Set(try Self.alertRules().matches(of: /switchboard_[a-z_]+/).map { String($0.output) })
            #expect(names.count >= 5)
            for name in names {
                #expect(metrics.contains("\n\(name){") || metrics.contains("\n\(name) "), "the alert rules read \(name), which /metrics does not export")
            }
        }
    }
}
