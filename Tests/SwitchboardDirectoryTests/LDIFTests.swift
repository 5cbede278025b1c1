import Foundation
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct LDIFParserTests {
    @Test func readsFoldedBase64AndMultiValuedAttributes() throws {
        let text = """
            version: 1
            # a comment
            dn: uniqueIdentifier=S1,ou=services,o=nhs
            objectClass: nhsMhs
            nhsMhsSvcIA: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
            NHSMHSSVCIA: urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1
            nhsMhsEndPoint: https://gp.example/A81001/ST
             U3/1/gpconnect
            o:: VMW3IEd3eW4gU3VyZ2VyeQ==

            dn: uniqueIdentifier=2,ou=services,o=nhs
            objectClass: nhsAs
            """
        let records = try LDIFParser.parse(text)
        #expect(records.count == 2)
        #expect(records[0].line == 3)
        #expect(records[0]["nhsMhsSvcIA"].count == 2)
        #expect(records[0].first("nhsMhsEndPoint") == "https://gp.example/A81001/STU3/1/gpconnect")
        #expect(records[0].first("o") == "Tŷ Gwyn Surgery")
        #expect(records[1].isA("NHSAS"))
    }

    @Test(arguments: [
        ("dn: x\nno colon here\n", 2, "expected 'attribute: value'"),
        ("dn: x\nname:: !!notbase64!!\n", 2, "the base64 value of 'name' does not decode to UTF-8 text"),
        (" continued\n", 1, "a continuation line (starting with a space) must follow an attribute line"),
        ("objectClass: nhsAs\n", 1, "a record must begin with 'dn:'"),
        ("dn: x\nchangetype: modify\n", 2, "change records are not supported; export content records only"),
        ("dn: x\nphoto:< file:///etc/passwd\n", 2, "URL values ('photo:<') are not supported"),
        ("version: 2\n", 1, "only LDIF version 1 is supported"),
    ])
    func reportsTheLineOfBadLDIF(_ text: String, _ line: Int, _ message: String) {
        #expect(throws: LDIFError(line: line, message: message)) { try LDIFParser.parse(text) }
    }
}

@Suite struct SDSImportTests {
    func catalogue() throws -> RoutingTableFiles.Loaded {
        try RoutingTableFiles.read(folder: Repository.routingTables, validator: DirectoryValidator())
    }

    @Test func importsTheSampleExport() throws {
        let tables = try catalogue().tables
        let importer = SDSImport(file: "sample.ldif", catalogue: Set(tables.interactions.keys), knownOrganisations: tables.organisations)
        let result = try importer.run(try String(contentsOf: Repository.sampleLDIF, encoding: .utf8))
        let systems = result.entries.compactMap { if case .system(let s) = $0 { s } else { nil } }
        let endpoints = result.entries.compactMap { if case .endpoint(let e) = $0 { e } else { nil } }
        let organisations = result.entries.compactMap { if case .organisation(let o) = $0 { o } else { nil } }
        #expect(Set(systems.map(\.asid.rawValue)) == ["918999198006", "918999198007", "200000000634"])
        #expect(Set(organisations.map(\.ods.rawValue)) == ["F85002", "W97017", "RRU"])
        #expect(organisations.first { $0.ods.rawValue == "W97017" }?.name == "Tŷ Gwyn Surgery")
        let consumer = try #require(systems.first { $0.asid.rawValue == "200000000634" })
        #expect(consumer.certificateFQDN == "cleric-111.lascad.thirdparty.nhs.uk")
        #expect(consumer.sends.count == 7)
        #expect(consumer.receives.isEmpty)
        #expect(consumer.supplier?.rawValue == "YGC")
        let practice = try #require(systems.first { $0.asid.rawValue == "918999198006" })
        #expect(practice.receives.count == 7)
        #expect(practice.partyKey.rawValue == "F85002-0000806")
        let endpoint = try #require(endpoints.first { $0.cpaID.rawValue == "S20001A100006" })
        #expect(endpoint.address.rawValue == "https://gpconnect.emis.thirdparty.nhs.uk/F85002/STU3/1/gpconnect")
        #expect(!endpoint.interactions.contains { $0.rawValue.contains("psis") })
        #expect(result.notes.contains { $0.contains("recorded without its trailing '/'") })
        #expect(result.notes.contains { $0.hasPrefix("2 interaction ID(s) not in the catalogue were left out") })
        #expect(result.notes.contains("1 nhsAs entry with no catalogued interaction was skipped"))
        var merged = tables
        for entry in result.entries { merged.put(entry) }
        #expect(DirectoryValidator().validate(merged).isEmpty)
        #expect(result.locations[EntityRef(.system, "918999198006")] == SourceLocation(file: "sample.ldif", line: 40))
    }

    @Test func malformedASIDIsReportedWithItsLine() throws {
        let tables = try catalogue().tables
        let importer = SDSImport(file: "bad.ldif", catalogue: Set(tables.interactions.keys), knownOrganisations: tables.organisations)
        let text = """
            dn: uniqueIdentifier=9189991980X6,ou=services,o=nhs
            objectClass: nhsAs
            uniqueIdentifier: 9189991980X6
            nhsIDCode: A81001
            nhsMhsPartyKey: A81001-0000801
            """
        #expect(throws: DirectoryValidationError(issues: [ValidationIssue(
            entry: nil, field: "uniqueIdentifier", rule: .malformedASID, message: "ASID '9189991980X6' must contain digits only",
            location: SourceLocation(file: "bad.ldif", line: 1))])) { try importer.run(text) }
    }

    @Test func ambiguousCertificateFQDNIsRefused() throws {
        let tables = try catalogue().tables
        let importer = SDSImport(file: "x.ldif", catalogue: Set(tables.interactions.keys), knownOrganisations: tables.organisations)
        let text = """
            dn: a
            objectClass: nhsMhs
            nhsMhsPartyKey: RYE-0000901
            nhsMhsFQDN: one.example

            dn: b
            objectClass: nhsMhs
            nhsMhsPartyKey: RYE-0000901
            nhsMhsFQDN: two.example

            dn: c
            objectClass: nhsAs
            uniqueIdentifier: 200000000359
            nhsIDCode: RYE
            nhsMhsPartyKey: RYE-0000901
            nhsAsSvcIA: urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1
            """
        do {
            _ = try importer.run(text)
            Issue.record("expected an error")
        } catch {
            #expect(error.issues.map(\.rule) == [.malformedFQDN])
            #expect(error.issues.first?.location?.line == 11)
        }
    }
}
