import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct DirectorySnapshotTests {
    let snapshot = DirectorySnapshot(tables: SampleDirectory.tables, generation: 7)

    @Test func looksUpByASIDPartyKeyAndODS() {
        #expect(snapshot.system(SampleDirectory.consumerASID)?.certificateFQDN == SampleDirectory.consumerFQDN)
        #expect(snapshot.system(ASID(trusted: "999999999999")) == nil)
        #expect(snapshot.endpoint(partyKey: SampleDirectory.practicePartyKey, interaction: SampleDirectory.slotSearch)?.cpaID.rawValue == "S20001A100001")
        #expect(snapshot.endpoint(partyKey: PartyKey(trusted: "M85011-0000804"), interaction: SampleDirectory.book) == nil)
        #expect(snapshot.systems(ods: SampleDirectory.practiceODS).map(\.asid) == [SampleDirectory.practiceASID])
        #expect(snapshot.endpoints(ods: SampleDirectory.otherPracticeODS, interaction: SampleDirectory.slotSearch).count == 1)
        #expect(snapshot.endpoints(ods: SampleDirectory.otherPracticeODS, interaction: SampleDirectory.book).isEmpty)
        #expect(snapshot.interaction(SampleDirectory.book)?.method == .POST)
    }

    @Test(arguments: [
        ("https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Slot?status=free", "/Slot?status=free"),
        ("https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect?x", "?x"),
        ("https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect", ""),
    ])
    func targetUnderTheRegisteredEndpoint(_ url: String, _ request: String) {
        guard case .underEndpoint(let endpoint, let rest) = snapshot.resolveTarget(url[...], provider: SampleDirectory.practiceASID, interaction: SampleDirectory.slotSearch) else {
            Issue.record("expected a match for \(url)")
            return
        }
        #expect(endpoint.cpaID.rawValue == "S20001A100001")
        #expect(rest == request[...])
    }

    @Test(arguments: [
        "https://gpconnect.emis.thirdparty.nhs.uk:443/A81001/STU3/1/gpconnect/Slot",
        "https://GPCONNECT.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Slot",
        "https://10.0.0.5/A81001/STU3/1/gpconnect/Slot",
        "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnectX/Slot",
        "https://gpconnect.emis.thirdparty.nhs.uk/a81001/STU3/1/gpconnect/Slot",
        "https://gpconnect.emis.thirdparty.nhs.uk.evil.example/A81001/STU3/1/gpconnect/Slot",
        "http://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Slot",
    ])
    func otherSpellingsVary(_ url: String) {
        #expect(snapshot.resolveTarget(url[...], provider: SampleDirectory.practiceASID, interaction: SampleDirectory.slotSearch)
                == .varies(SampleDirectory.tables.endpoints[CPAID(trusted: "S20001A100001")]!))
    }

    @Test func noEndpointForUnknownOrNonReceivingSystems() {
        let url = SampleDirectory.practiceAddress + "/Slot"
        #expect(snapshot.resolveTarget(url[...], provider: ASID(trusted: "999999999999"), interaction: SampleDirectory.slotSearch) == .noEndpoint)
        #expect(snapshot.resolveTarget(url[...], provider: SampleDirectory.otherPracticeASID, interaction: SampleDirectory.book) == .noEndpoint)
        #expect(snapshot.resolveTarget(url[...], provider: SampleDirectory.consumerASID, interaction: SampleDirectory.slotSearch) == .noEndpoint)
    }

    @Test func retiredEntriesDoNotRoute() {
        var tables = SampleDirectory.tables
        var endpoint = tables.endpoints[CPAID(trusted: "S20001A100001")]!
        endpoint.status = .retired
        tables.put(.endpoint(endpoint))
        var consumer = tables.systems[SampleDirectory.consumerASID]!
        consumer.status = .retired
        tables.put(.system(consumer))
        var interaction = tables.interactions[SampleDirectory.book]!
        interaction.status = .retired
        tables.put(.interaction(interaction))
        let retired = DirectorySnapshot(tables: tables, generation: 8)
        #expect(retired.system(SampleDirectory.consumerASID) == nil)
        #expect(retired.endpoint(partyKey: SampleDirectory.practicePartyKey, interaction: SampleDirectory.slotSearch) == nil)
        #expect(retired.interaction(SampleDirectory.book) == nil)
        #expect(retired.tables.systems[SampleDirectory.consumerASID] != nil)
    }

    @Test func sharingAgreements() {
        let consumer = snapshot.system(SampleDirectory.consumerASID)!
        let practice = snapshot.system(SampleDirectory.practiceASID)!
        let other = snapshot.system(SampleDirectory.otherPracticeASID)!
        #expect(snapshot.sharingAllows(from: consumer, to: practice, interaction: SampleDirectory.book))
        #expect(!snapshot.sharingAllows(from: consumer, to: other, interaction: SampleDirectory.slotSearch))
        var tables = SampleDirectory.tables
        tables.put(.agreement(SharingAgreement(id: AgreementID(trusted: "any-slot-search"), description: "", consumer: .any, provider: .ods(SampleDirectory.otherPracticeODS),
                                               interactions: .only([SampleDirectory.slotSearch]))))
        let wider = DirectorySnapshot(tables: tables, generation: 9)
        #expect(wider.sharingAllows(from: consumer, to: other, interaction: SampleDirectory.slotSearch))
        #expect(!wider.sharingAllows(from: consumer, to: other, interaction: SampleDirectory.book))
    }

    @Test func holderNeverGoesBackwards() {
        let holder = DirectorySnapshotHolder(snapshot)
        #expect(!holder.install(DirectorySnapshot(tables: DirectoryTables(), generation: 3)))
        #expect(holder.snapshot.generation == 7)
        #expect(holder.install(DirectorySnapshot(tables: DirectoryTables(), generation: 8)))
        #expect(holder.snapshot.generation == 8)
    }
}
