import AsyncHTTPClient
import Foundation
import NIOCore
import SwitchboardTesting
import Testing

/// The management API does what `Docs/management-api.yaml` says: schemathesis (from PyPI, in
/// `.venv`) generates requests from the document — of its shape and deliberately not — and
/// checks every answer of a running `switchboard serve` against it, as an admin on `/admin` and
/// as an auditor on `/audit` and the operations endpoints. Bounded: a fixed seed and a few
/// examples per operation (`Tests/Management/schemathesis.toml`).
@Suite struct ManagementContractTests {
    static var schemathesis: String? {
        let path = Repository.root.appendingPathComponent(".venv/bin/schemathesis").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }

    static let required = ProcessInfo.processInfo.environment["PYTHON_TOOLS_REQUIRED"] == "1"

    @Test func theToolIsThereWhenTheRunNeedsIt() {
        #expect(!Self.required || Self.schemathesis != nil, "scripts/test needs schemathesis in .venv (scripts/install-dependencies installs it)")
    }

    @Test(.enabled(if: schemathesis != nil, "needs schemathesis in .venv (scripts/install-dependencies installs it)"))
    func theServerAnswersAsTheDocumentSays() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let config = ["--config", workspace.config.path]
            func token(_ role: String) async throws -> String {
                let made = try await workspace.cli.run(["tokens", "add", "--role", role, "--name", "contract-\(role)"] + config)
                #expect(made.status == 0, "\(made.error)")
                return try #require(made.output.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("sbt_") })
            }
            let admin = try await token("admin")
            let auditor = try await token("auditor")
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.managementPort)
            // Some records for the audit operations to find.
            try await workspace.withClient { client in
                for _ in 0..<3 { _ = try? await client.execute(workspace.request(), timeout: .seconds(10)).body.collect(upTo: 1 << 20) }
            }

            for (role, bearer, paths) in [("admin", admin, "^/admin"), ("auditor", auditor, "^/(audit|health|ready|metrics)")] {
                // Run in the workspace: schemathesis and hypothesis keep their caches in the working folder.
                let result = try await workspace.cli.runTool(try #require(Self.schemathesis), [
                    "--config-file", Repository.root.appendingPathComponent("Tests/Management/schemathesis.toml").path, "run", Repository.root.appendingPathComponent("Docs/management-api.yaml").path,
                    "--url", "https://127.0.0.1:\(workspace.managementPort)", "--tls-verify", workspace.pki.consumerCA,
                    "-H", "Authorization: Bearer \(bearer)", "--include-path-regex", paths,
                ], deadline: .seconds(600))
                let summary = result.output.split(separator: "\n").suffix(40).joined(separator: "\n")
                #expect(!result.timedOut && result.status == 0, "schemathesis as \(role) found problems:\n\(summary)")
                #expect(result.output.contains("No issues found") || result.output.contains("warnings in"), "\(summary)")
                #expect(!result.output.contains("failures in"), "\(summary)")
            }
            #expect(await workspace.stop(server), "switchboard serve did not stop within 20 s of SIGTERM")
        }
    }
}
