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
            let imported = try await cli.run("routes", "import")
            #expect(imported.status == 0, "\(imported.error)")
            #expect(imported.output.contains("created  accredited system 918999198001"))

            let list = try await cli.run("routes", "list", "--kind", "system")
            #expect(list.status == 0)
            #expect(list.output.contains("918999198001  A81001  A81001-0000801"))

            let show = try await cli.run("routes", "show", "918999198001")
            #expect(show.output.hasPrefix("accredited system 918999198001"))
            #expect(show.output.contains("route: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1 -> https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect (S20001A100001)"))

            let out = tables.deletingLastPathComponent().appendingPathComponent("Exported")
            #expect(try await cli.run("routes", "export", out.path).status == 0)
            let diff = try await cli.runTool("/usr/bin/diff", ["-r", "-x", "*.ldif", tables.path, out.path])
            #expect(diff.status == 0, "export differs from the imported files:\n\(diff.output)")
            #expect(try await cli.run("routes", "import").output.contains("no changes"))
        }
    }

    @Test func addUpdateRetireAndHistoryByOSUser() async throws {
        try await withWorkspace { cli, _ in
            try await cli.run("routes", "import")
            let add = try await cli.run("routes", "add", "organisation", "Y01234", "--name", "Urgent Treatment Centre", "--kind", "urgent-care")
            #expect(add.status == 0, "\(add.error)")
            #expect(add.output.contains("created  organisation Y01234"))

            let update = try await cli.run("routes", "update", "endpoint", "S20001A100004",
                                     "--address", "https://tpp-new.thirdparty.nhs.uk/M85011/STU3/1/gpconnect", "--reason", "host move")
            #expect(update.status == 0, "\(update.error)")

            let stale = try await cli.run("routes", "update", "organisation", "Y01234", "--name", "UTC", "--expected-version", "7")
            #expect(stale.status != 0)
            #expect(stale.error.contains("is at version 1, not 7"))

            let retire = try await cli.run("routes", "retire", "agreement", "wmas-cas-to-m85011")
            #expect(retire.output.contains("retired  sharing agreement wmas-cas-to-m85011"))

            let history = try await cli.run("routes", "history", "S20001A100004")
            let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? NSUserName()
            #expect(history.output.contains("cli:\(user) (cli)  updated  endpoint S20001A100004 — host move"))
            #expect(history.output.contains("address: \"https://systmone-gpconnect.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect\" → \"https://tpp-new.thirdparty.nhs.uk/M85011/STU3/1/gpconnect\""))
            #expect(history.output.contains("(import)  created  endpoint S20001A100004"))
        }
    }

    @Test func errorsExitNonZeroWithOneLine() async throws {
        try await withWorkspace { cli, _ in
            try await cli.run("routes", "import")
            let cases: [([String], String)] = [
                (["routes", "add", "system", "12345", "--ods", "A81001"], "Error: ASID: ASID '12345' must be 12 digits (has 5)"),
                (["routes", "update", "endpoint", "S20001A100001", "--address", "http://plain.example/A81001"], "Error: --address: 'http://plain.example/A81001' must use https"),
                (["routes", "retire", "organisation", "A81001"], "Error: nothing changed: 2 validation errors (first: organisation-retired)"),
                (["routes", "show", "000000000000"], "Error: no directory entry has the key '000000000000'"),
                (["routes", "list", "--kind", "robots"], "Error: kind 'robots' must be one of organisation, system, endpoint, interaction, agreement"),
            ]
            for (arguments, message) in cases {
                let result = try await cli.run(arguments)
                #expect(result.status == 1, "\(arguments)")
                #expect(result.error.split(separator: "\n").last.map(String.init) == message, "\(arguments): \(result.error)")
            }
        }
    }

    @Test func validateAndImportOfABadFolderChangeNothing() async throws {
        try await withWorkspace { cli, tables in
            try await cli.run("routes", "import")
            let file = tables.appendingPathComponent("organisations/A81001.yaml")
            let text = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: "asid: '918999198001'", with: "asid: '91899919800'")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let validate = try await cli.run("routes", "validate")
            #expect(validate.status == 1)
            #expect(validate.error.contains("organisations/A81001.yaml:8: field asid: malformed-asid: ASID '91899919800' must be 12 digits (has 11)"))
            let before = try await cli.run("routes", "list", "--json").output
            let imported = try await cli.run("routes", "import")
            #expect(imported.status == 1)
            #expect(try await cli.run("routes", "list", "--json").output == before)
        }
    }

    @Test func importLDIF() async throws {
        try await withWorkspace { cli, tables in
            try await cli.run("routes", "import")
            let result = try await cli.run("routes", "import-ldif", tables.appendingPathComponent("sds-export-sample.ldif").path)
            #expect(result.status == 0, "\(result.error)")
            #expect(result.output.contains("created  accredited system 918999198006"))
            #expect(result.output.contains("note: 2 interaction ID(s) not in the catalogue were left out"))

            let bad = tables.deletingLastPathComponent().appendingPathComponent("bad.ldif")
            try "dn: x\nobjectClass: nhsAs\nnhsIDCode:: ***\n".write(to: bad, atomically: true, encoding: .utf8)
            let before = try await cli.run("routes", "list", "--json").output
            let failed = try await cli.run("routes", "import-ldif", bad.path)
            #expect(failed.status == 1)
            #expect(failed.error.contains("bad.ldif:3: malformed-value: the base64 value of 'nhsIDCode' does not decode to UTF-8 text"))
            #expect(try await cli.run("routes", "list", "--json").output == before)
        }
    }

    /// An SDS export of `ou=services` names its organisations by ODS code only. Imported into a
    /// directory that holds just the interaction catalogue, the organisations it names are made
    /// (kind from the entries, name from the code), and every other check still holds.
    @Test func anExportIntoAnEmptyDirectoryCreatesTheOrganisationsItNames() async throws {
        try await withWorkspace { cli, tables in
            let catalogueOnly = tables.deletingLastPathComponent().appendingPathComponent("CatalogueOnly")
            try FileManager.default.createDirectory(at: catalogueOnly.appendingPathComponent("organisations"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: tables.appendingPathComponent("interactions.yaml"), to: catalogueOnly.appendingPathComponent("interactions.yaml"))
            let imported = try await cli.run("routes", "import", catalogueOnly.path)
            #expect(imported.status == 0, "\(imported.error)")

            let export = tables.deletingLastPathComponent().appendingPathComponent("services.ldif")
            try """
                version: 1
                dn: uniqueIdentifier=S20001A100016,ou=services,o=nhs
                objectClass: nhsMhs
                uniqueIdentifier: S20001A100016
                nhsMhsCPAId: S20001A100016
                nhsIDCode: P81016
                nhsMhsPartyKey: P81016-0000816
                nhsMhsFQDN: gpconnect.emis.thirdparty.nhs.uk
                nhsMhsEndPoint: https://gpconnect.emis.thirdparty.nhs.uk/P81016/STU3/1/gpconnect
                nhsMhsSvcIA: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1

                dn: uniqueIdentifier=918999198016,ou=services,o=nhs
                objectClass: nhsAs
                uniqueIdentifier: 918999198016
                nhsIDCode: P81016
                nhsMhsPartyKey: P81016-0000816
                nhsProductName: EMIS Web
                nhsMhsManufacturerOrg: YGJ
                nhsAsSvcIA: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1

                dn: uniqueIdentifier=RRU-0000916,ou=services,o=nhs
                objectClass: nhsMhs
                uniqueIdentifier: RRU-0000916
                nhsIDCode: RRU
                nhsMhsPartyKey: RRU-0000916
                nhsMhsFQDN: odyssey-111.las.thirdparty.nhs.uk

                dn: uniqueIdentifier=200000000916,ou=services,o=nhs
                objectClass: nhsAs
                uniqueIdentifier: 200000000916
                nhsIDCode: RRU
                nhsMhsPartyKey: RRU-0000916
                nhsProductName: Cleric Odyssey
                nhsMhsManufacturerOrg: YGC
                nhsAsSvcIA: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
                """.write(to: export, atomically: true, encoding: .utf8)
            let result = try await cli.run("routes", "import-ldif", export.path)
            #expect(result.status == 0, "\(result.error)\(result.output)")
            #expect(result.output.contains("note: created 4 organisations the export names but does not carry, each named by its ODS code until renamed: P81016, RRU, YGC, YGJ"),
                    "\(result.output)")
            #expect(result.output.contains("7 changes: 7 created"), "\(result.output)")
            let organisations = try await cli.run("routes", "list", "--kind", "organisation", "--json")
            let entries = organisations.output.split(separator: "\n").compactMap { line in
                (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["entry"] as? [String: Any]
            }
            let kinds = Dictionary(uniqueKeysWithValues: entries.compactMap { entry in (entry["ods"] as? String).map { ($0, entry["kind"] as? String ?? "") } })
            #expect(kinds == ["P81016": "gp-practice", "RRU": "urgent-care", "YGC": "system-supplier", "YGJ": "system-supplier"])

            // Every other check still holds: an endpoint that is not https changes nothing.
            let bad = tables.deletingLastPathComponent().appendingPathComponent("bad-services.ldif")
            try String(contentsOf: export, encoding: .utf8).replacingOccurrences(of: "nhsMhsEndPoint: https://", with: "nhsMhsEndPoint: http://")
                .replacingOccurrences(of: "P81016", with: "P81017").write(to: bad, atomically: true, encoding: .utf8)
            let refused = try await cli.run("routes", "import-ldif", bad.path)
            #expect(refused.status == 1)
            #expect(refused.error.contains("endpoint-not-https"), "\(refused.error)")
        }
    }

    @Test func helpExplainsTheCommands() async throws {
        try await withWorkspace { cli, _ in
            let help = try await cli.run("routes", "--help")
            #expect(help.status == 0)
            for command in ["list", "show", "add", "update", "retire", "import", "export", "import-ldif", "validate", "history"] {
                #expect(help.output.contains("  \(command) "), "\(command)")
            }
            #expect(try await cli.run("routes", "add", "system", "--help").output.contains("--certificate-fqdn"))
        }
    }
}
