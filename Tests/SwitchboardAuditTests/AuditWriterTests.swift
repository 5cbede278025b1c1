import Foundation
import Logging
import SwitchboardAudit
import SwitchboardStorage
import SwitchboardTesting
import Testing

@Suite struct AuditWriterTests {
    func withWriter(_ folder: URL, _ body: (AuditWriter, SQLiteAuditStore) async throws -> Void) async throws {
        let store = try AuditFixtures.store(folder)
        let writer = AuditWriter(store: store, settings: .init(node: "node-a", recoveryInterval: .milliseconds(50)), logger: Logger(label: "test"))
        let task = Task { try await writer.run() }
        do {
            try await body(writer, store)
        } catch {
            task.cancel()
            throw error
        }
        task.cancel()
        _ = try? await task.value
    }

    @Test func groupCommitCarriesManyRecordsPerTransaction() async throws {
        try await withTemporaryDirectory { folder in
            try await withWriter(folder) { writer, store in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<400 { group.addTask { try await writer.complete(AuditFixtures.record()) } }
                    try await group.waitForAll()
                }
                let statistics = writer.statistics
                #expect(statistics.records == 400)
                #expect(statistics.commits < 400)
                #expect(try await store.verify(node: nil).totalRecords == 400)
            }
        }
    }

    @Test func failsClosedWhileLockedAndRecoversWithWhatWasAnswered() async throws {
        try await withTemporaryDirectory { folder in
            try await withWriter(folder) { writer, store in
                try await writer.complete(AuditFixtures.record())
                let lock = try SQLiteLockHolder(store.path)
                await #expect(throws: AuditStoreError.self) { try await writer.open(AuditFixtures.record(outcome: .inProgress)) }
                #expect(writer.isFailing)
                let start = ContinuousClock.now
                await #expect(throws: AuditStoreError.self) { try await writer.open(AuditFixtures.record(outcome: .inProgress)) }
                #expect(start.duration(to: .now) < .milliseconds(100), "refused at once while failing")
                let answered = AuditFixtures.record(status: 503, outcome: .refused, rule: "AUDIT_STORE_UNAVAILABLE")
                writer.deferUntilRecovered(answered)
                lock.release()
                for _ in 0..<100 where writer.isFailing { try await Task.sleep(for: .milliseconds(20)) }
                #expect(!writer.isFailing)
                #expect(writer.statistics.reconciledMissing == 1, "the open refused under the lock was reconciled as not committed")
                #expect(writer.statistics.reconciledCommitted == 0)
                try await writer.complete(AuditFixtures.record())
                #expect(try await store.exchange(id: answered.id)?.status == 503)
                #expect(try await store.verify(node: nil).isIntact)
            }
        }
    }

    @Test func missingDatabaseFileFailsClosedUntilItIsBack() async throws {
        try await withTemporaryDirectory { folder in
            try await withWriter(folder) { writer, store in
                try await writer.complete(AuditFixtures.record())
                let moved = store.path + ".moved"
                try FileManager.default.moveItem(atPath: store.path, toPath: moved)
                await #expect(throws: AuditStoreError.self) { try await writer.complete(AuditFixtures.record()) }
                #expect(await eventually { writer.isFailing })
                try FileManager.default.moveItem(atPath: moved, toPath: store.path)
                for _ in 0..<100 where writer.isFailing { try await Task.sleep(for: .milliseconds(20)) }
                #expect(!writer.isFailing)
                try await writer.complete(AuditFixtures.record())
                #expect(try await store.verify(node: nil).totalRecords == 2)
            }
        }
    }

    // MARK: Groups an event loop writes itself

    /// What `writeNow` or `syncNow` said, in words: `nil` is "cannot".
    static func outcome(_ result: Result<Void, any Error>?) -> String {
        switch result {
        case nil: "cannot"
        case .success?: "done"
        case .failure?: "refused"
        }
    }

    static func withJournaledWriter(_ folder: URL, _ body: (AuditWriter, JournaledAuditStore) async throws -> Void) async throws {
        let store = try await JournaledAuditStore.open(
            index: try SQLiteAuditStore(path: folder.appendingPathComponent("audit.sqlite").path, synchronous: .normal),
            settings: .init(folder: folder.appendingPathComponent("audit.journal")))
        let writer = AuditWriter(store: store, settings: .init(node: "node-a", recoveryInterval: .milliseconds(50)), logger: Logger(label: "test"))
        let task = Task { try await writer.run() }
        defer { task.cancel() }
        try await body(writer, store)
    }

    static func entries(_ kind: AuditEntry.Kind, _ count: Int) -> [AuditEntry] {
        (0..<count).map { _ in AuditEntry(kind: kind, record: AuditFixtures.record(outcome: kind == .open ? .inProgress : .forwarded)) }
    }

    @Test func aCallerWritesAndSyncsItsOwnGroupsOnceTheNodeIsChained() async throws {
        try await withTemporaryDirectory { folder in
            try await Self.withJournaledWriter(folder) { writer, store in
                #expect(Self.outcome(writer.writeNow(Self.entries(.complete, 1))) == "cannot",
                        "the node's first group reads the chain's head from the index, in the writer's own group commit")
                try await writer.complete(AuditFixtures.record())
                let opened = Self.entries(.open, 2), completed = Self.entries(.complete, 3)
                #expect(Self.outcome(writer.writeNow(opened)) == "done")
                #expect(writer.statistics.records == 3, "opened records are not synced on their own")
                #expect(Self.outcome(writer.writeNow(completed)) == "done")
                #expect(writer.statistics.records == 3, "completed records count once synced")
                #expect(Self.outcome(writer.syncNow()) == "done")
                #expect(writer.statistics.records == 6)
                // The index follows off the request path, without a query asking it to catch up.
                let last = completed[2].record.id
                #expect(await eventually { (try? await store.index.exchange(id: last)) != nil })
                for entry in opened + completed { #expect(try await store.exchange(id: entry.record.id) != nil) }
                #expect(try await store.verify(node: nil).isIntact)
            }
            try await withWriter(folder.appendingPathComponent("plain")) { writer, _ in
                try await writer.complete(AuditFixtures.record())
                #expect(Self.outcome(writer.writeNow(Self.entries(.complete, 1))) == "cannot", "a store that is not a journal")
            }
        }
    }

    /// The journal becomes immutable between a loop's write and the next: that write is refused,
    /// so is everything until a probe succeeds, and on recovery the records written but not yet
    /// synced are found in the journal and the refused one is not.
    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func aCallersFailedWriteRefusesEverythingUntilTheJournalRecovers() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await Self.withJournaledWriter(disk.mountPoint) { writer, store in
                try await writer.complete(AuditFixtures.record())
                let written = Self.entries(.complete, 2)
                #expect(Self.outcome(writer.writeNow(written)) == "done")
                let node = disk.mountPoint.appendingPathComponent("audit.journal/node-a")
                let segments = try FileManager.default.contentsOfDirectory(atPath: node.path).map { node.appendingPathComponent($0).path }
                try disk.makeReadOnly(segments + [node.path])
                let refused = Self.entries(.complete, 1)
                #expect(Self.outcome(writer.writeNow(refused)) == "refused")
                #expect(writer.isFailing)
                #expect(Self.outcome(writer.syncNow()) == "refused", "the written records are as uncertain as the failed group")
                #expect(Self.outcome(writer.writeNow(Self.entries(.open, 1))) == "refused")
                try disk.makeWritable()
                #expect(await eventually { !writer.isFailing })
                #expect(writer.statistics.reconciledCommitted == 2)
                #expect(writer.statistics.reconciledMissing == 1)
                #expect(try await store.exchange(id: refused[0].record.id) == nil)
                #expect(Self.outcome(writer.writeNow(Self.entries(.complete, 1))) == "done")
                #expect(Self.outcome(writer.syncNow()) == "done")
                #expect(try await store.verify(node: nil).isIntact)
            }
        }
    }
}
