import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct DirectoryValidatorTests {
    let validator = DirectoryValidator()

    @Test func sampleIsValid() {
        #expect(validator.validate(SampleDirectory.tables).isEmpty)
    }

    /// Changes the sample with `change`, validates, and returns the issues.
    func issues(_ change: (inout DirectoryTables) -> Void) -> [ValidationIssue] {
        var tables = SampleDirectory.tables
        change(&tables)
        return validator.validate(tables)
    }

    func practice(_ tables: DirectoryTables) -> AccreditedSystem { tables.systems[SampleDirectory.practiceASID]! }
    func consumer(_ tables: DirectoryTables) -> AccreditedSystem { tables.systems[SampleDirectory.consumerASID]! }

    @Test func unknownODSCode() {
        let found = issues { tables in
            var system = consumer(tables)
            system.ods = ODSCode(trusted: "ZZZ99")
            tables.put(.system(system))
        }
        #expect(found.map(\.description) == ["accredited system 200000000359: field ods: unknown-ods-code: ODS code ZZZ99 is not a known organisation"])
    }

    @Test func unknownPartyKey() {
        let found = issues { tables in
            var endpoint = tables.endpoints[CPAID(trusted: "S20001A100004")]!
            endpoint.partyKey = PartyKey(trusted: "M85011-0000999")
            tables.put(.endpoint(endpoint))
        }
        #expect(found.contains { $0.rule == .unknownPartyKey && $0.message == "no accredited system has party key M85011-0000999" })
        #expect(found.contains { $0.rule == .receivesWithoutEndpoint && $0.entry == EntityRef(.system, "918999198004") })
    }

    @Test func interactionNotInCatalogue() {
        let found = issues { tables in
            var system = consumer(tables)
            system.sends.append(InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1"))
            tables.put(.system(system))
        }
        #expect(found.map(\.description) == [
            "accredited system 200000000359: field sends: interaction-not-in-catalogue: urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1 is not in the interaction catalogue",
        ])
    }

    @Test func retiredInteractionStillUsed() {
        let found = issues { tables in
            var interaction = tables.interactions[SampleDirectory.book]!
            interaction.status = .retired
            tables.put(.interaction(interaction))
        }
        #expect(found.contains { $0.rule == .interactionRetired && $0.field == "sends" })
    }

    @Test func consumerFQDNMissing() {
        let found = issues { tables in
            var system = consumer(tables)
            system.certificateFQDN = nil
            tables.put(.system(system))
        }
        #expect(found.map(\.description) == [
            "accredited system 200000000359: field certificateFQDN: consumer-fqdn-missing: a system that sends interactions needs the FQDN its client certificate carries",
        ])
    }

    @Test func malformedFQDN() {
        let found = issues { tables in
            var system = consumer(tables)
            system.certificateFQDN = "Adastra.Example"
            tables.put(.system(system))
        }
        #expect(found.map(\.rule) == [.malformedFQDN])
    }

    @Test func receivesWithoutEndpoint() {
        let found = issues { tables in
            var other = tables.systems[SampleDirectory.otherPracticeASID]!
            other.receives.append(SampleDirectory.book)
            tables.put(.system(other))
        }
        #expect(found.map(\.description) == [
            "accredited system 918999198004: field receives: receives-without-endpoint: receives urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1 but no active endpoint with party key M85011-0000804 serves it",
        ])
    }

    @Test func endpointInteractionNotReceived() {
        let found = issues { tables in
            var endpoint = tables.endpoints[CPAID(trusted: "S20001A100004")]!
            endpoint.interactions.append(SampleDirectory.book)
            tables.put(.endpoint(endpoint))
        }
        #expect(found.map(\.rule) == [.endpointInteractionNotReceived])
    }

    @Test func duplicateRoute() {
        let found = issues { tables in
            tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S20001A100099"), partyKey: SampleDirectory.practicePartyKey, ods: SampleDirectory.practiceODS,
                                          address: try! EndpointAddress(validating: "https://other.example/A81001/STU3/1/gpconnect"),
                                          interactions: [SampleDirectory.slotSearch])))
        }
        #expect(found.map(\.description) == [
            "endpoint S20001A100099: field interactions: duplicate-route: endpoint S20001A100001 already serves urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1 for party key A81001-0000801",
        ])
    }

    @Test func duplicatePartyKeyForProviders() {
        let found = issues { tables in
            tables.put(.system(AccreditedSystem(asid: ASID(trusted: "918999198777"), ods: SampleDirectory.practiceODS,
                                                partyKey: SampleDirectory.practicePartyKey, name: "Second system")))
        }
        #expect(found.count == 2)
        #expect(found.allSatisfy { $0.rule == .duplicatePartyKey })
    }

    @Test func consumersMayShareAPartyKey() {
        let found = issues { tables in
            var second = consumer(tables)
            second.asid = ASID(trusted: "200000000360")
            tables.put(.system(second))
        }
        #expect(found.isEmpty)
    }

    @Test func endpointHostPolicy() {
        let found = issues { tables in
            var endpoint = tables.endpoints[CPAID(trusted: "S20001A100004")]!
            endpoint.address = try! EndpointAddress(validating: "https://10.1.2.3/M85011/STU3/1/gpconnect")
            endpoint.fqdn = "tpp.example"
            tables.put(.endpoint(endpoint))
        }
        #expect(found.map(\.description) == [
            "endpoint S20001A100004: field address: endpoint-host-not-allowed: https://10.1.2.3/M85011/STU3/1/gpconnect names an IP literal, not a host name",
        ])
    }

    @Test func endpointWithoutInteractions() {
        let found = issues { tables in
            tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S20001A100050"), partyKey: SampleDirectory.practicePartyKey, ods: SampleDirectory.practiceODS,
                                          address: try! EndpointAddress(validating: "https://spare.example/A81001"), interactions: [])))
        }
        #expect(found.map(\.rule) == [.endpointWithoutInteractions])
    }

    @Test func activeEntryInRetiredOrganisation() {
        let found = issues { tables in
            var organisation = tables.organisations[SampleDirectory.otherPracticeODS]!
            organisation.status = .retired
            tables.put(.organisation(organisation))
        }
        #expect(Set(found.map(\.rule)) == [.organisationRetired])
        #expect(found.count == 2)
    }

    @Test func retiringAProviderAndItsEndpointTogetherIsValid() {
        let found = issues { tables in
            var system = tables.systems[SampleDirectory.otherPracticeASID]!
            system.status = .retired
            var endpoint = tables.endpoints[CPAID(trusted: "S20001A100004")]!
            endpoint.status = .retired
            tables.put(.system(system))
            tables.put(.endpoint(endpoint))
        }
        #expect(found.isEmpty)
    }

    @Test func agreementReferences() {
        let found = issues { tables in
            tables.put(.agreement(SharingAgreement(id: AgreementID(trusted: "broken"), description: "", consumer: .asid(ASID(trusted: "200000000999")),
                                                   provider: .ods(ODSCode(trusted: "QQQ")), interactions: .only([]))))
        }
        #expect(found.map(\.rule) == [.unknownASID, .missingField, .unknownODSCode])
    }

    @Test func unknownScope() {
        let found = issues { tables in
            var interaction = tables.interactions[SampleDirectory.slotSearch]!
            interaction.scope = "system/*.read"
            tables.put(.interaction(interaction))
        }
        #expect(found.map(\.rule) == [.malformedValue])
    }

    @Test func emptyNames() {
        let found = issues { tables in
            var organisation = tables.organisations[SampleDirectory.practiceODS]!
            organisation.name = "  "
            tables.put(.organisation(organisation))
        }
        #expect(found.map(\.description) == ["organisation A81001: field name: empty-name: name must not be empty"])
    }
}
