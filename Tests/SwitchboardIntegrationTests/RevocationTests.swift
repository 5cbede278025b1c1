import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// `switchboard serve` with `proxy.revocation`: revoked consumer and provider certificates are
/// refused and recorded, a stale list follows `whenStale`, and a new list is put in force by the
/// refresh while the process runs.
@Suite("Certificate revocation lists", .serialized)
struct RevocationTests {
    /// Adds a `proxy.revocation` section to the workspace's configuration.
    static func configureRevocation(_ workspace: ServeWorkspace, crls: [String], whenStale: String = "fail-closed",
                                    refreshIntervalMilliseconds: Int = 300) throws {
        let list = crls.map { "'\($0)'" }.joined(separator: ", ")
        try workspace.addProxySettings("revocation: {crls: [\(list)], whenStale: \(whenStale), refreshIntervalMilliseconds: \(refreshIntervalMilliseconds)}")
    }

    /// The audit records of `trace`, read with `switchboard audit query`.
    static func records(_ workspace: ServeWorkspace, trace: String) async throws -> [[String: Any]] {
        let query = try await workspace.cli.run(["audit", "query", "--trace-id", trace, "--config", workspace.config.path])
        #expect(query.status == 0, "\(query.error)")
        let page = try JSONSerialization.jsonObject(with: Data(query.output.utf8)) as? [String: Any]
        return page?["records"] as? [[String: Any]] ?? []
    }

    /// Sends one slot search on `client`: its status and body.
    static func send(_ workspace: ServeWorkspace, _ client: HTTPClient, trace: String = UUID().uuidString) async throws -> (status: Int, body: String) {
        let response = try await client.execute(workspace.request(traceID: trace), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), String(buffer: body))
    }

    @Test("a consumer certificate revoked by a list read while the proxy runs is refused 495 on its open connection, and recorded")
    func revokedConsumerWithoutRestart() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, provider in
            let crl = try workspace.pki.writeRevocationList(.consumerCA)
            try Self.configureRevocation(workspace, crls: [crl])
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            try await workspace.withClient { client in
                #expect(try await Self.send(workspace, client).status == 200, "a list that names no one")
                try workspace.pki.writeRevocationList(.consumerCA, revoking: [workspace.pki.consumer])
                var last = (status: 0, body: "")
                let refused = try await eventually(timeout: .seconds(15)) {
                    last = try await Self.send(workspace, client)
                    return last.status == 495
                }
                #expect(refused, "the new list was not put in force: \(last)")
                #expect(last.body.contains("CLIENT_CERTIFICATE_REVOKED"))
                let forwarded = provider.requests.count
                let trace = UUID().uuidString
                #expect(try await Self.send(workspace, client, trace: trace).status == 495)
                #expect(provider.requests.count == forwarded, "nothing is forwarded for a revoked certificate")
                let records = try await Self.records(workspace, trace: trace)
                #expect(records.last?["refusalRule"] as? String == "CLIENT_CERTIFICATE_REVOKED", "\(records)")
                #expect(records.last?["status"] as? Int == 495)
            }
            let other = try workspace.pki.makeConsumerClient(presenting: workspace.pki.otherConsumer)
            let stillChecked = try await Self.send(workspace, other)
            #expect(stillChecked.status == 403 && stillChecked.body.contains("ACCESS_DENIED_SSL"),
                    "another certificate of the same CA is not revoked; it goes on to the FQDN check: \(stillChecked)")
            try await other.shutdown()
            let metrics = try await workspace.metrics()
            #expect(metrics.contains(#"switchboard_crl_stale{crl="\#(crl)"} 0"#), "\(metrics)")
            #expect(metrics.contains(#"switchboard_crl_next_update_timestamp_seconds{crl="\#(crl)"}"#))
            #expect(await workspace.stop(server))
        }
    }

    @Test("a revoked provider certificate fails the exchange 502 before anything is sent, recorded as ENDPOINT_CERTIFICATE_REVOKED")
    func revokedProvider() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, provider in
            let crl = try workspace.pki.writeRevocationList(.providerCA, revoking: [workspace.pki.provider])
            try Self.configureRevocation(workspace, crls: [crl])
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            let trace = UUID().uuidString
            let answer = try await workspace.withClient { client in try await Self.send(workspace, client, trace: trace) }
            #expect(answer.status == 502)
            #expect(answer.body.contains("ERROR_COMMUNICATING_TO_ENDPOINT_URL_"), "\(answer.body)")
            #expect(provider.requests.isEmpty, "the request must not reach a provider whose certificate is revoked")
            let records = try await Self.records(workspace, trace: trace)
            #expect(records.last?["refusalRule"] as? String == "ENDPOINT_CERTIFICATE_REVOKED", "\(records)")
            #expect(await workspace.stop(server))
        }
    }

    @Test("a list past its nextUpdate that cannot be read anew: fail-closed refuses, fail-open accepts; both log it and set switchboard_crl_stale",
          arguments: ["fail-closed", "fail-open"])
    func staleList(policy: String) async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let crl = try workspace.pki.writeRevocationList(.consumerCA, thisUpdate: Date().addingTimeInterval(-2 * 86_400),
                                                            nextUpdate: Date().addingTimeInterval(-86_400))
            try Self.configureRevocation(workspace, crls: [crl], whenStale: policy)
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)
            let trace = UUID().uuidString
            let answer = try await workspace.withClient { client in try await Self.send(workspace, client, trace: trace) }
            if policy == "fail-closed" {
                #expect(answer.status == 495)
                #expect(answer.body.contains("CLIENT_CERTIFICATE_REVOCATION_UNKNOWN"), "\(answer.body)")
                #expect(try await Self.records(workspace, trace: trace).last?["refusalRule"] as? String == "CLIENT_CERTIFICATE_REVOCATION_UNKNOWN")
            } else {
                #expect(answer.status == 200)
            }
            let metrics = try await workspace.metrics()
            #expect(metrics.contains(#"switchboard_crl_stale{crl="\#(crl)"} 1"#), "\(metrics)")
            #expect(await workspace.stop(server))
            let log = try String(contentsOf: workspace.folder.appendingPathComponent("serve.log"), encoding: .utf8)
            #expect(log.contains("revocation list is stale") && log.contains(crl) && log.contains("(\(policy))"), "\(log)")
        }
    }

    @Test("a list file that cannot be read stops serve at start, naming the setting")
    func unreadableListStopsStart() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let missing = workspace.folder.appendingPathComponent("no-such.crl").path
            try Self.configureRevocation(workspace, crls: [missing])
            let result = try await workspace.cli.run(["serve", "--config", workspace.config.path])
            #expect(result.status != 0)
            #expect(result.error.contains("proxy.revocation.crls") && result.error.contains("no-such.crl"), "\(result.error)")
        }
    }
}
