import Foundation
import SwitchboardTesting
import Testing

/// `switchboard config` checks each configuration shipped in `Config/` and shows what is in
/// effect and where each value came from.
@Suite struct ConfigCommandTests {
    /// Each row of the listing: setting → (from, environment variable, value).
    static func rows(_ output: String) -> [String: (from: String, environment: String, value: String)] {
        var rows: [String: (String, String, String)] = [:]
        for line in output.split(separator: "\n").dropFirst() {
            let cells = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 4 else { continue }
            rows[cells[0]] = (cells[1], cells[2], cells[3])
        }
        return rows
    }

    @Test(arguments: ["development.yaml", "production.yaml", "multi-node.yaml"])
    func shippedConfigurationIsValid(_ name: String) async throws {
        try await withTemporaryDirectory { folder in
            let file = Repository.root.appendingPathComponent("Config/\(name)").path
            let result = try await CommandRunner(workingDirectory: folder).run(["config", "--config", file, "--strict-environment"])
            #expect(result.status == 0 && !result.timedOut, "\(result.error)")
            #expect(result.error.isEmpty, "no warnings expected: \(result.error)")
            #expect(result.output.hasSuffix("configuration OK\n"))
            let rows = Self.rows(result.output)
            #expect(rows.count >= 60, "every setting listed: \(rows.count)")
            #expect(rows["node.id"]?.from.hasPrefix("\(file):") == true, "\(String(describing: rows["node.id"]))")
            #expect(rows["proxy.checks.enforceSharingAgreements"]?.value == "true")
            #expect(rows["proxy.checks.strictInteractionMatch"]?.value == "true")
            #expect(rows["directory.endpointPolicy.allowIPLiterals"]?.value == "false")
        }
    }

    @Test func productionConfigurationHoldsItsSafeValues() async throws {
        try await withTemporaryDirectory { folder in
            let file = Repository.root.appendingPathComponent("Config/production.yaml").path
            let rows = Self.rows(try await CommandRunner(workingDirectory: folder).run(["config", "--config", file]).output)
            #expect(rows["directory.endpointPolicy.allowLoopback"]?.value == "false")
            #expect(rows["directory.endpointPolicy.allowedHostSuffixes"]?.value != "[]")
            #expect(rows["audit.store"]?.value.hasPrefix("sqlite:/") == true)
            #expect(rows["directory.store"]?.value.hasPrefix("sqlite:/") == true)
            #expect(rows["audit.synchronous"]?.value == "full")
            #expect(rows["directory.synchronous"]?.value == "full")
            #expect(rows["proxy.cors.allowedOrigins"]?.value == "[]")
            #expect(rows["logging.format"]?.value == "json")
            #expect(Double(rows["proxy.throttle.consumerRequestsPerSecond"]?.value ?? "") ?? 0 > 0)
            #expect(Double(rows["proxy.throttle.providerRequestsPerSecond"]?.value ?? "") ?? 0 > 0)
            // Management on an interface of its own, never loopback-only nor every interface.
            let management = rows["management.host"]?.value ?? ""
            let notItsOwn = ["0.0.0.0", "::", "127.0.0.1", rows["proxy.listen.host"]?.value ?? ""]
            #expect(!notItsOwn.contains(management), "management.host is \(management)")
            #expect(rows["management.clientCA"]?.value.hasPrefix("/") == true)
            #expect(rows["management.clientCA"]?.value != rows["proxy.tls.clientCA"]?.value)
            for setting in ["proxy.tls.certificate", "proxy.tls.privateKey", "proxy.tls.clientCA", "proxy.upstream.caBundle",
                            "management.certificate", "management.privateKey", "management.tokensFile"] {
                #expect(rows[setting]?.value.hasPrefix("/") == true, "\(setting) is an absolute path")
            }
        }
    }

    @Test func multiNodeConfigurationSharesPostgreSQLOverVerifiedTLS() async throws {
        try await withTemporaryDirectory { folder in
            let file = Repository.root.appendingPathComponent("Config/multi-node.yaml").path
            let rows = Self.rows(try await CommandRunner(workingDirectory: folder).run(["config", "--config", file]).output)
            for store in ["directory.store", "audit.store"] {
                let value = rows[store]?.value ?? ""
                #expect(value.hasPrefix("postgres://") && value.contains("sslmode=verify-full") && value.contains("sslrootcert=/"), "\(store): \(value)")
            }
            #expect(rows["directory.store"]?.value == rows["audit.store"]?.value)
        }
    }

    @Test func theListingSaysWhereEachValueCameFromAndHidesPasswords() async throws {
        try await withTemporaryDirectory { folder in
            let file = folder.appendingPathComponent("switchboard.yaml")
            try "node:\n  id: node-z\nproxy:\n  throttle:\n    consumerRequestsPerSecond: 2.5\n".write(to: file, atomically: true, encoding: .utf8)
            var runner = CommandRunner(workingDirectory: folder)
            runner.environment["SWITCHBOARD_AUDIT_STORE"] = "postgres://switchboard:s3cret@db.example:5432/switchboard?sslmode=verify-full"
            let result = try await runner.run(["config", "--config", file.path])
            #expect(result.status == 0, "\(result.error)")
            let rows = Self.rows(result.output)
            #expect(rows["node.id"]?.from == "\(file.path):2" && rows["node.id"]?.value == "node-z")
            #expect(rows["proxy.throttle.consumerRequestsPerSecond"]?.value == "2.5")
            #expect(rows["proxy.throttle.consumerBurst"]?.value == "0" && rows["proxy.throttle.consumerBurst"]?.from == "default")
            #expect(rows["audit.store"]?.from == "SWITCHBOARD_AUDIT_STORE")
            #expect(rows["audit.store"]?.value == "postgres://switchboard:***@db.example:5432/switchboard?sslmode=verify-full")
            #expect(!result.output.contains("s3cret"))
            #expect(rows["directory.endpointPolicy.allowedHostSuffixes"]?.value == "[]")
        }
    }

    @Test func aWordOutsideAChoiceNamesTheChoices() async throws {
        try await withTemporaryDirectory { folder in
            var runner = CommandRunner(workingDirectory: folder)
            runner.environment["SWITCHBOARD_AUDIT_SYNCHRONOUS"] = "fast"
            CommandErrorTests.expectOneSentence(try await runner.run(["config"]),
                                                "SWITCHBOARD_AUDIT_SYNCHRONOUS: setting audit.synchronous: 'fast' must be one of full, normal")
        }
    }
}
