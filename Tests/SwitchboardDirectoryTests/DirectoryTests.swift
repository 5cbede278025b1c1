import Foundation
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct DirectoryTests {
    let author = ChangeAuthor(actor: "api:tester", source: .api)

    func withDirectory(_ body: (Directory, String) async throws -> Void) async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("directory.sqlite").path
            let directory = try await Directory(store: try SQLiteDirectoryStore(path: path))
            try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            try await body(directory, path)
        }
    }

    @Test func appliesABatchAndBumpsVersions() async throws {
        try await withDirectory { directory, _ in
            var endpoint = directory.snapshot.tables.endpoints[CPAID(trusted: "S20001A100004")]!
            endpoint.address = try EndpointAddress(validating: "https://new-host.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect")
            endpoint.fqdn = endpoint.address.host
            let applied = try await directory.apply([.update(.endpoint(endpoint), expectedVersion: 1)], author: author)
            #expect(applied.changes.map(\.action) == [.updated])
            #expect(directory.snapshot.generation == 2)
            let current = directory.snapshot.tables.endpoints[CPAID(trusted: "S20001A100004")]!
            #expect(current.version == 2)
            #expect(current.address.host == "new-host.tpp.thirdparty.nhs.uk")
        }
    }

    @Test func staleVersionIsAConflict() async throws {
        try await withDirectory { directory, _ in
            let organisation = directory.snapshot.tables.organisations[SampleDirectory.practiceODS]!
            var renamed = organisation
            renamed.name = "Renamed"
            try await directory.apply([.update(.organisation(renamed), expectedVersion: 1)], author: author)
            await #expect(throws: DirectoryChangeError.versionConflict(EntityRef(.organisation, "A81001"), expected: 1, current: 2)) {
                try await directory.apply([.update(.organisation(renamed), expectedVersion: 1)], author: author)
            }
        }
    }

    @Test func anInvalidBatchChangesNothing() async throws {
        try await withDirectory { directory, path in
            let before = directory.snapshot
            let newOrganisation = Organisation(ods: ODSCode(trusted: "Y00001"), name: "New hub", kind: .other)
            var consumer = before.tables.systems[SampleDirectory.consumerASID]!
            consumer.certificateFQDN = nil
            await #expect(throws: DirectoryChangeError.self) {
                try await directory.apply([.create(.organisation(newOrganisation)), .update(.system(consumer))], author: author)
            }
            #expect(directory.snapshot === before)
            let stored = try await SQLiteDirectoryStore(path: path).load()
            #expect(stored.generation == 1)
            #expect(stored.tables.organisations[ODSCode(trusted: "Y00001")] == nil)
        }
    }

    @Test func createRetireAndErrors() async throws {
        try await withDirectory { directory, _ in
            let ref = EntityRef(.agreement, "secamb-111-to-a81001")
            await #expect(throws: DirectoryChangeError.alreadyExists(ref)) {
                try await directory.apply([.create(directory.snapshot.tables[ref]!)], author: author)
            }
            await #expect(throws: DirectoryChangeError.notFound(EntityRef(.system, "999999999999"))) {
                try await directory.apply([.retire(EntityRef(.system, "999999999999"))], author: author)
            }
            let applied = try await directory.apply([.retire(ref)], author: author)
            #expect(applied.changes.map(\.action) == [.retired])
            let consumer = directory.snapshot.system(SampleDirectory.consumerASID)!
            let practice = directory.snapshot.system(SampleDirectory.practiceASID)!
            #expect(!directory.snapshot.sharingAllows(from: consumer, to: practice, interaction: SampleDirectory.book))
        }
    }

    @Test func anotherProcessesChangeIsPickedUpOnRefresh() async throws {
        try await withDirectory { directory, path in
            let other = try await Directory(store: try SQLiteDirectoryStore(path: path))
            try await other.apply([.retire(EntityRef(.agreement, "secamb-111-to-a81001"))], author: author)
            #expect(directory.snapshot.tables.agreements.values.first?.status == .active)
            #expect(try await directory.refresh())
            #expect(directory.snapshot.tables.agreements.values.first?.status == .retired)
            #expect(try await directory.refresh() == false)

            // A change prepared on the stale snapshot is re-applied to the fresh one.
            let stale = try await Directory(store: try SQLiteDirectoryStore(path: path))
            try await other.apply([.create(.organisation(Organisation(ods: ODSCode(trusted: "Y00002"), name: "Hub", kind: .other)))], author: author)
            try await stale.apply([.create(.organisation(Organisation(ods: ODSCode(trusted: "Y00003"), name: "Hub 3", kind: .other)))], author: author)
            #expect(stale.snapshot.tables.organisations[ODSCode(trusted: "Y00002")] != nil)
            #expect(stale.snapshot.generation == 4)
        }
    }
}
