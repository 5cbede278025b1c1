import Foundation
import SwitchboardTesting
import Testing

/// Runs `switchboard routes …` as a separate process against a store in a temporary folder.
@Suite struct RoutesCommandTests {
    func withWorkspace(_ body: (CommandRunner, URL) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let tables = folder.appendingPathComponent("RoutingTables")
            try Repository.copy(Repository.routingTables, to: tables)
            try await body(CommandRunner(workingDirectory: folder), tables)
        }
    }

    @Test func importListShowExport() async throws {
        try await withWorkspace { cli, tables in
            let imported = try cli.run("routes", "import")
            #expect(imported.status == 0, "\(imported.error)")
            #expect(imported.output.contains("created  accredited system 918999198001"))

            let list = try cli.run("routes", "list", "--kind", "system")
            #expect(list.status == 0)
            #expect(list.output.contains("918999198001  A81001  A81001-0000801"))

            let show = try cli.run("routes", "show", "918999198001")
            #expect(show.output.hasPrefix("accredited system 918999198001"))
            #expect(show.output.contains("route: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1 -> https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect (S20001A100001)"))

            let out = tables.deletingLastPathComponent().appendingPathComponent("Exported")
            #expect(try cli.run("routes", "export", out.path).status == 0)
            let diff = Process()
            diff.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
            diff.arguments = ["-r", "-x", "*.ldif", tables.path, out.path]
            try diff.run()
            diff.waitUntilExit()
            #expect(diff.terminationStatus == 0, "export differs from the imported files")
            #expect(try cli.run("routes", "import").output.contains("no changes"))
        }
    }

    @Test func addUpdateRetireAndHistoryByOSUser() async throws {
        try await withWorkspace { cli, _ in
            try cli.run("routes", "import")
            let add = try cli.run("routes", "add", "organisation", "Y01234", "--name", "Urgent Treatment Centre", "--kind", "urgent-care")
            #expect(add.status == 0, "\(add.error)")
            #expect(add.output.contains("created  organisation Y01234"))

            let update = try cli.run("routes", "update", "endpoint", "S20001A100004",
                                     "--address", "https://tpp-new.thirdparty.nhs.uk/M85011/STU3/1/gpconnect", "--reason", "host move")
            #expect(update.status == 0, "\(update.error)")

            let stale = try cli.run("routes", "update", "organisation", "Y01234", "--name", "UTC", "--expected-version", "7")
            #expect(stale.status != 0)
            #expect(stale.error.contains("is at version 1, not 7"))

            let retire = try cli.run("routes", "retire", "agreement", "wmas-cas-to-m85011")
            #expect(retire.output.contains("retired  sharing agreement wmas-cas-to-m85011"))

            let history = try cli.run("routes", "history", "S20001A100004")
            let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? NSUserName()
            #expect(history.output.contains("cli:\(user) (cli)  updated  endpoint S20001A100004 — host move"))
            #expect(history.output.contains("address: \"https://systmone-gpconnect.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect\" → \"https://tpp-new.thirdparty.nhs.uk/M85011/STU3/1/gpconnect\""))
            #expect(history.output.contains("(import)  created  endpoint S20001A100004"))
        }
    }

    @Test func errorsExitNonZeroWithOneLine() async throws {
        try await withWorkspace { cli, _ in
            try cli.run("routes", "import")
            let cases: [([String], String)] = [
                (["routes", "add", "system", "12345", "--ods", "A81001"], "Error: ASID: ASID '12345' must be 12 digits (has 5)"),
                (["routes", "update", "endpoint", "S20001A100001", "--address", "http://plain.example/A81001"], "Error: --address: 'http://plain.example/A81001' must use https"),
                (["routes", "retire", "organisation", "A81001"], "Error: nothing changed: 2 validation errors (first: organisation-retired)"),
                (["routes", "show", "000000000000"], "Error: no directory entry has the key '000000000000'"),
                (["routes", "list", "--kind", "robots"], "Error: kind 'robots' must be one of organisation, system, endpoint, interaction, agreement"),
            ]
            for (arguments, message) in cases {
                let result = try cli.run(arguments)
                #expect(result.status == 1, "\(arguments)")
                #expect(result.error.split(separator: "\n").last.map(String.init) == message, "\(arguments): \(result.error)")
            }
        }
    }

    @Test func validateAndImportOfABadFolderChangeNothing() async throws {
        try await withWorkspace { cli, tables in
            try cli.run("routes", "import")
            let file = tables.appendingPathComponent("organisations/A81001.yaml")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "asid: '918999198001'", with: "asid: '91899919800'")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let validate = try cli.run("routes", "validate")
            #expect(validate.status == 1)
            #expect(validate.error.contains("organisations/A81001.yaml:8: field asid: malformed-asid: ASID '91899919800' must be 12 digits (has 11)"))
            let before = try cli.run("routes", "list", "--json").output
            let imported = try cli.run("routes", "import")
            #expect(imported.status == 1)
            #expect(try cli.run("routes", "list", "--json").output == before)
        }
    }

    @Test func importLDIF() async throws {
        try await withWorkspace { cli, tables in
            try cli.run("routes", "import")
            let result = try cli.run("routes", "import-ldif", tables.appendingPathComponent("sds-export-sample.ldif").path)
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("created  accredited system 918999198006"))
            #expect(result.output.contains("note: 2 interaction ID(s) not in the catalogue were left out"))

            let bad = tables.deletingLastPathComponent().appendingPathComponent("bad.ldif")
            try "dn: x\nobjectClass: nhsAs\nnhsIDCode:: ***\n".write(to: bad, atomically: true, encoding: .utf8)
            let before = try cli.run("routes", "list", "--json").output
            let failed = try cli.run("routes", "import-ldif", bad.path)
            #expect(failed.status == 1)
            #expect(failed.error.contains("bad.ldif:3: malformed-value: the base64 value of 'nhsIDCode' does not decode to UTF-8 text"))
            #expect(try cli.run("routes", "list", "--json").output == before)
        }
    }

    @Test func helpExplainsTheCommands() async throws {
        try await withWorkspace { cli, _ in
            let help = try cli.run("routes", "--help")
            #expect(help.status == 0)
            for command in ["list", "show", "add", "update", "retire", "import", "export", "import-ldif", "validate", "history"] {
                #expect(help.output.contains("  \(command) "), "\(command)")
            }
            #expect(try cli.run("routes", "add", "system", "--help").output.contains("--certificate-fqdn"))
        }
    }
}
