import Foundation
@testable import SwitchboardAudit
import Synchronization
import SwitchboardTesting
import Testing

/// The journal's committer on real files: groups written on the caller's thread, one sync at a
/// time covering every group written before it, rows handed to the index in chain order, and a
/// failed journal that refuses what is not durable and goes on from what is.
@Suite struct JournalCommitterTests {
    /// What a committer hands the index and tells its observer, and the answers its writers got.
    final class Witness: Sendable {
        let released = Mutex<[AuditChainRow]>([])
        let syncs = Mutex<[Int]>([])
        let answers = Mutex<[String: Result<Void, JournalError>]>([:])

        func durable(_ name: String) -> @Sendable (Result<Void, any Error>) -> Void {
            { result in self.answers.withLock { $0[name] = result.mapError { $0 as? JournalError ?? .broken("\($0)") } } }
        }

        func answer(_ name: String) -> Result<Void, JournalError>? { answers.withLock { $0[name] } }
        var releasedSequences: [Int64] { released.withLock { $0.map(\.sequence) } }
    }

    static func committer(_ folder: URL, _ witness: Witness) throws -> JournalCommitter {
        let journal = try AuditJournal(folder: folder, segmentBytes: 1 << 20)
        let committer = JournalCommitter(node: "node-a", journal: journal, chainStart: (0, AuditRowCoding.genesis)) { rows in
            witness.released.withLock { $0 += rows }
        }
        committer.observe { rows, _ in witness.syncs.withLock { $0.append(rows) } }
        return committer
    }

    static func opens(_ count: Int) -> [AuditEntry] {
        (0..<count).map { _ in AuditEntry(kind: .open, record: AuditFixtures.record()) }
    }

    @Test func openRowsAreAnsweredAtOnceAndACompletionOnceItsSyncReturns() async throws {
        try await withTemporaryDirectory { folder in
            let witness = Witness()
            let committer = try Self.committer(folder, witness)
            committer.write(Self.opens(2), sync: false, durable: witness.durable("opens"))
            // Answered before write returned, with no sync, and already with the index.
            #expect(witness.answer("opens") != nil)
            #expect(witness.releasedSequences == [1, 2])
            #expect(witness.syncs.withLock { $0 }.isEmpty)

            committer.queue.suspend()
            committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("complete"))
            committer.write(Self.opens(1), sync: false, durable: witness.durable("open behind it"))
            // The open is answered (it survives a process crash) but reaches the index only after
            // the completion before it is durable: the index holds one chain, in order.
            #expect(witness.answer("open behind it") != nil)
            #expect(witness.answer("complete") == nil)
            #expect(witness.releasedSequences == [1, 2])
            #expect(committer.waiting == 2)
            committer.queue.resume()

            #expect(await eventually { witness.answer("complete") != nil })
            #expect(witness.releasedSequences == [1, 2, 3, 4])
            await committer.flushed()
            #expect(committer.waiting == 0)
            #expect(try AuditJournal.rows(in: folder, after: 0, limit: 10).map(\.sequence) == [1, 2, 3, 4])
        }
    }

    @Test func groupsWrittenWhileASyncWaitsGoInOneSync() async throws {
        try await withTemporaryDirectory { folder in
            let witness = Witness()
            let committer = try Self.committer(folder, witness)
            committer.queue.suspend()
            for number in 0..<10 {
                committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("complete \(number)"))
            }
            #expect(witness.answers.withLock { $0.isEmpty })
            committer.queue.resume()
            await committer.flushed()
            #expect(witness.answers.withLock { $0.count } == 10)
            #expect(witness.syncs.withLock { $0 } == [10], "one sync began after all ten were written, and covered them")
            #expect(witness.releasedSequences == Array(1...10))
        }
    }

    @Test func aJournalThatSyncsNothingAnswersEveryGroupAtOnce() async throws {
        try await withTemporaryDirectory { folder in
            let witness = Witness()
            let journal = try AuditJournal(folder: folder, segmentBytes: 1 << 20, syncs: false)
            let committer = JournalCommitter(node: "node-a", journal: journal, chainStart: (0, AuditRowCoding.genesis)) { rows in
                witness.released.withLock { $0 += rows }
            }
            committer.write(AuditJournalTests.entries(3), sync: true, durable: witness.durable("complete"))
            #expect(witness.answer("complete") != nil)
            #expect(witness.releasedSequences == [1, 2, 3])
        }
    }

    /// The segment becomes unwritable while a completion waits for its sync: the next write
    /// fails, both groups are refused, and reopening clears the one that was not durable, so the
    /// chain goes on from the last row the index was given.
    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func aFailedWriteRefusesWhatIsNotDurableAndReopeningGoesOnFromWhatIs() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            let folder = disk.mountPoint.appendingPathComponent("node-a")
            let witness = Witness()
            let committer = try Self.committer(folder, witness)
            committer.write(Self.opens(2), sync: false, durable: witness.durable("opens"))
            committer.queue.suspend()
            committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("waiting"))
            let segments = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("segment-") }
            try disk.makeReadOnly(segments.map { folder.appendingPathComponent($0).path })
            committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("failing"))

            for name in ["waiting", "failing"] {
                guard case .failure = witness.answer(name) else { Issue.record("\(name) was not refused"); continue }
            }
            committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("after"))
            guard case .failure = witness.answer("after") else { Issue.record("a failed journal took another group"); return }
            #expect(throws: (any Error).self) { try committer.reopen() }

            try disk.makeWritable()
            try committer.reopen()
            committer.queue.resume()
            committer.write(AuditJournalTests.entries(1), sync: true, durable: witness.durable("recovered"))
            #expect(await eventually { witness.answer("recovered") != nil })
            guard case .success = witness.answer("recovered") else { Issue.record("the reopened journal refused a group"); return }
            let rows = try AuditJournal.rows(in: folder, after: 0, limit: 10)
            #expect(rows.map(\.sequence) == [1, 2, 3])
            #expect(rows == witness.released.withLock { $0 })
            #expect(rows[2].previous == rows[1].hash)
        }
    }
}
