import Foundation
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct RoutingTableFilesTests {
    let validator = DirectoryValidator()

    @Test func sampleRoutingTablesAreValidAndRealistic() throws {
        let loaded = try RoutingTableFiles.read(folder: Repository.routingTables, validator: validator)
        let tables = loaded.tables
        let consumers = tables.systems.values.filter { !$0.sends.isEmpty && tables.organisations[$0.ods]?.kind == .urgentCare }
        let practices = tables.organisations.values.filter { $0.kind == .gpPractice }
        let practiceSuppliers = Set(tables.systems.values.filter { !$0.receives.isEmpty }.compactMap(\.supplier))
        #expect(consumers.count >= 3)
        #expect(practices.count >= 5)
        #expect(practiceSuppliers.count >= 2)
        for endpoint in tables.endpoints.values {
            #expect(endpoint.address.rawValue.hasSuffix("/\(endpoint.ods)/STU3/1/gpconnect"))
        }
        #expect(tables.interactions.count == 15)
        #expect(loaded.locations[EntityRef(.system, "918999198001")] == SourceLocation(file: "organisations/A81001.yaml", line: 8))
    }

    @Test func exportOfAnImportIsByteForByteStable() throws {
        let loaded = try RoutingTableFiles.read(folder: Repository.routingTables, validator: validator)
        let rendered = try RoutingTableFiles.render(loaded.tables)
        var onDisk: [String: String] = [:]
        onDisk[RoutingTableFiles.interactionsFile] = try String(contentsOf: Repository.routingTables.appendingPathComponent(RoutingTableFiles.interactionsFile), encoding: .utf8)
        onDisk[RoutingTableFiles.agreementsFile] = try String(contentsOf: Repository.routingTables.appendingPathComponent(RoutingTableFiles.agreementsFile), encoding: .utf8)
        let folder = Repository.routingTables.appendingPathComponent(RoutingTableFiles.organisationsFolder)
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".yaml") {
            onDisk["organisations/\(name)"] = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
        }
        #expect(rendered.keys.sorted() == onDisk.keys.sorted())
        for (path, text) in rendered {
            #expect(text == onDisk[path], "\(path) differs from its canonical form")
        }
        let reread = try RoutingTableFiles.parse(rendered, validator: validator)
        #expect(reread.tables == loaded.tables)
    }

    @Test func renderKeepsEveryFieldOfEveryKind() throws {
        var tables = SampleDirectory.tables
        var system = tables.systems[SampleDirectory.consumerASID]!
        system.supplier = SampleDirectory.practiceODS
        system.status = .retired
        tables.put(.system(system))
        var endpoint = tables.endpoints[CPAID(trusted: "S20001A100004")]!
        endpoint.fqdn = "mhs.tpp.example"
        tables.put(.endpoint(endpoint))
        let reread = try RoutingTableFiles.parse(try RoutingTableFiles.render(tables), validator: validator)
        #expect(reread.tables == tables)
    }

    /// Parses the sample with one organisation file replaced by `text`.
    func parseWith(_ path: String, _ text: String) throws -> RoutingTableFiles.Loaded {
        var files = try RoutingTableFiles.render(SampleDirectory.tables)
        files[path] = text
        return try RoutingTableFiles.parse(files, validator: validator)
    }

    func issues(_ path: String, _ text: String) -> [String] {
        do {
            _ = try parseWith(path, text)
            return []
        } catch let error as DirectoryValidationError {
            return error.issues.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func malformedASIDNamesFileLineEntryAndRule() {
        let found = issues("organisations/RYE.yaml", """
            organisation:
              ods: RYE
              name: South East Coast Ambulance Service
              kind: urgent-care
            systems:
            - asid: '20000000035'
              name: Adastra
              partyKey: RYE-0000901
            """)
        #expect(found.contains("organisations/RYE.yaml:6: field asid: malformed-asid: ASID '20000000035' must be 12 digits (has 11)"))
    }

    @Test func unknownFieldIsReportedWithItsLine() {
        let found = issues("organisations/RYE.yaml", """
            organisation:
              ods: RYE
              name: South East Coast Ambulance Service
              kind: urgent-care
              colour: blue
            """)
        #expect(found.first?.hasPrefix("organisations/RYE.yaml:5: organisation RYE: field colour: unknown-field: unknown field 'colour'") == true)
    }

    @Test func endpointNotHTTPS() {
        let found = issues("organisations/M85011.yaml", """
            organisation:
              ods: M85011
              name: Hollybush Surgery
              kind: gp-practice
            systems:
            - asid: '918999198004'
              name: SystmOne
              partyKey: M85011-0000804
              receives:
              - urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
            endpoints:
            - cpaId: S20001A100004
              partyKey: M85011-0000804
              address: http://systmone-gpconnect.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect
              interactions:
              - urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
            """)
        #expect(found == ["organisations/M85011.yaml:14: endpoint S20001A100004: field address: endpoint-not-https: 'http://systmone-gpconnect.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect' must use https"])
    }

    @Test func crossEntryRulesCarryTheEntrysLocation() {
        let found = issues("organisations/RYE.yaml", """
            organisation:
              ods: RYE
              name: South East Coast Ambulance Service
              kind: urgent-care
            systems:
            - asid: '200000000359'
              name: Adastra
              partyKey: RYE-0000901
              sends:
              - urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
            """)
        #expect(found == ["organisations/RYE.yaml:6: accredited system 200000000359: field certificateFQDN: consumer-fqdn-missing: a system that sends interactions needs the FQDN its client certificate carries"])
    }

    @Test func duplicateASIDAcrossFiles() {
        let found = issues("organisations/M85011.yaml", """
            organisation:
              ods: M85011
              name: Hollybush Surgery
              kind: gp-practice
            systems:
            - asid: '918999198001'
              name: SystmOne
              partyKey: M85011-0000804
            """)
        #expect(found.contains { $0.hasPrefix("organisations/M85011.yaml:6: accredited system 918999198001: duplicate-asid: accredited system 918999198001 is also defined at organisations/A81001.yaml:") })
    }

    @Test func invalidYAMLGivesItsLine() {
        let found = issues("organisations/RYE.yaml", "organisation:\n  ods: RYE\n  name: [unclosed\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("organisations/RYE.yaml:") == true)
        #expect(found.first?.contains("malformed-value: not valid YAML") == true)
    }

    @Test func fileNameMustMatchODSCode() {
        let found = issues("organisations/RYE.yaml", "organisation:\n  ods: RX6\n  name: North East\n  kind: urgent-care\n")
        #expect(found.contains("organisations/RYE.yaml:2: organisation RX6: field ods: file-name-mismatch: organisation RX6 must be in organisations/RX6.yaml"))
    }

    @Test func missingFieldsAreAllReported() {
        let found = issues("organisations/RYE.yaml", "organisation:\n  ods: RYE\n")
        #expect(found == [
            "organisations/RYE.yaml:2: organisation RYE: field kind: missing-field: 'kind' is required",
            "organisations/RYE.yaml:2: organisation RYE: field name: missing-field: 'name' is required",
        ])
    }

    @Test func writeReplacesStaleOrganisationFiles() async throws {
        try await withTemporaryDirectory { folder in
            try RoutingTableFiles.write(SampleDirectory.tables, to: folder)
            var tables = SampleDirectory.tables
            tables.remove(EntityRef(.system, SampleDirectory.otherPracticeASID.rawValue))
            tables.remove(EntityRef(.endpoint, "S20001A100004"))
            tables.remove(EntityRef(.organisation, SampleDirectory.otherPracticeODS.rawValue))
            try RoutingTableFiles.write(tables, to: folder)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("organisations").path).sorted()
            #expect(names == ["A81001.yaml", "RYE.yaml"])
            #expect(try RoutingTableFiles.read(folder: folder, validator: validator).tables == tables)
        }
    }
}
