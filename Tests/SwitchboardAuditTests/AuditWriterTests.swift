import Foundation
import Logging
import SwitchboardAudit
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
}
