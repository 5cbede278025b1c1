import Foundation
@testable import SwitchboardAudit
import SwitchboardStorage
import SwitchboardTesting
import Testing

/// The audit journal on real files in a temporary folder: framing and checksums, segments,
/// a record torn by a crash, damage, and the index fed and caught up from it.
@Suite struct AuditJournalTests {
    static func entries(_ count: Int, node: String = "node-a") -> [AuditEntry] {
        (0..<count).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record(node: node)) }
    }

    @Test func crc32cIsCastagnolis() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // Eight bytes at a time gives what one bit at a time gives, at every length and alignment.
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<300).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        for start in 0..<8 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                var crc: UInt32 = 0xFFFF_FFFF
                for byte in bytes[start..<end] {
                    crc ^= UInt32(byte)
                    for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
                }
                #expect(CRC32C.checksum(bytes[start..<end]) == crc ^ 0xFFFF_FFFF)
            }
        }
    }

    @Test func rowsComeBackAsWrittenAcrossSegments() async throws {
        try await withTemporaryDirectory { folder in
            let journal = try AuditJournal(folder: folder, segmentBytes: 4096)
            var head: (sequence: Int64, hash: String) = (0, AuditRowCoding.genesis)
            var written: [AuditChainRow] = []
            for _ in 0..<12 {
                let rows = AuditChainRow.chain(Self.entries(3), node: "node-a", after: head)
                try journal.append(rows)
                written += rows
                head = (rows.last!.sequence, rows.last!.hash)
            }
            #expect(try journal.segments().count > 1, "a group that does not fit starts the next segment")
            let reopened = try AuditJournal(folder: folder, segmentBytes: 4096)
            #expect(reopened.head?.sequence == 36)
            #expect(reopened.head?.hash == head.hash)
            #expect(try reopened.rows(after: 0, limit: 1000) == written)
            #expect(try reopened.rows(after: 30, limit: 1000).map(\.sequence) == Array(31...36))
            #expect(try reopened.rows(after: 0, limit: 5).count == 5)
            let consistent = written.allSatisfy(\.isSelfConsistent)
            #expect(consistent)
        }
    }

    @Test func aJournalStartsWithAStopGapSegmentZeroFilledOnTheSpot() async throws {
        try await withTemporaryDirectory { folder in
            let journal = try AuditJournal(folder: folder, segmentBytes: 64 << 20)
            try journal.append(AuditChainRow.chain(Self.entries(1), node: "node-a", after: (0, AuditRowCoding.genesis)))
            let segment = folder.appendingPathComponent(AuditJournal.segmentName(first: 1)).path
            #expect(try Self.size(of: segment) == AuditJournal.stopGapBytes, "not the 64 MiB a full segment takes to zero-fill")
            #expect(try Self.unwrittenExtents(segment) != true, "every block of the segment holds zeros before it is used")
            // What the journal no longer does: space only reserved is seen as such.
            let reserved = folder.appendingPathComponent("reserved").path
            let fd = open(reserved, O_RDWR | O_CREAT, 0o600)
            #expect(posix_fallocate(fd, 0, 1 << 20) == 0)
            close(fd)
            #expect(try Self.unwrittenExtents(reserved) != false)
        }
    }

    @Test func theNextSegmentIsZeroFilledWhileTheCurrentOneFillsAndThenUsed() async throws {
        try await withTemporaryDirectory { folder in
            let segmentBytes = 2 * AuditJournal.stopGapBytes
            let journal = try AuditJournal(folder: folder, segmentBytes: segmentBytes)
            let prepared = folder.appendingPathComponent(SegmentPreparer.preparedName).path
            var head: (sequence: Int64, hash: String) = (0, AuditRowCoding.genesis)
            func append(_ count: Int) throws {
                let rows = AuditChainRow.chain(Self.entries(count), node: "node-a", after: head)
                try journal.append(rows)
                head = (rows.last!.sequence, rows.last!.hash)
            }
            // Past half of the first (stop-gap) segment, a full-size one is made in the background.
            while try journal.segments().count <= 1, try Self.size(of: prepared) == nil { try append(8) }
            #expect(await eventually { (try? Self.size(of: prepared)) == segmentBytes }, "a prepared segment of the configured size appears")
            let before = try journal.segments()
            while try journal.segments() == before { try append(4) }
            let started = try #require(try journal.segments().last)
            let path = folder.appendingPathComponent(AuditJournal.segmentName(first: started)).path
            #expect(try Self.size(of: path) == segmentBytes, "the prepared segment, not another stop-gap")
            #expect(try Self.unwrittenExtents(path) != true)
            #expect(try AuditJournal(folder: folder, segmentBytes: segmentBytes, writable: false).rows(after: 0, limit: 10_000).count == Int(head.sequence),
                    "the prepared file is no segment: readers never see it")
        }
    }

    @Test func aPartialPreparedSegmentLeftByACrashIsRemovedAndAPreparedOneAdopted() async throws {
        try await withTemporaryDirectory { folder in
            let partial = folder.appendingPathComponent(SegmentPreparer.partialName)
            let prepared = folder.appendingPathComponent(SegmentPreparer.preparedName)
            try Data(count: 1000).write(to: partial)
            try Data(count: 4096).write(to: prepared)
            let journal = try AuditJournal(folder: folder, segmentBytes: 4096)
            #expect(!FileManager.default.fileExists(atPath: partial.path))
            try journal.append(AuditChainRow.chain(Self.entries(1), node: "node-a", after: (0, AuditRowCoding.genesis)))
            #expect(!FileManager.default.fileExists(atPath: prepared.path), "the prepared segment became the first one")
            #expect(try journal.segments() == [1])
        }
    }

    static func size(of path: String) throws -> Int? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue
    }

    /// Whether the file has preallocated extents never written (`FIEMAP_EXTENT_UNWRITTEN`); nil
    /// where the file system cannot say (no `FIEMAP`).
    static func unwrittenExtents(_ path: String) throws -> Bool? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        // struct fiemap (32 bytes) and room for 64 struct fiemap_extent (56 bytes each).
        let extents = 64
        var buffer = [UInt8](repeating: 0, count: 32 + 56 * extents)
        let mapped = buffer.withUnsafeMutableBytes { raw -> Int32 in
            raw.storeBytes(of: UInt64(0), toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: UInt64.max, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: UInt32(1), toByteOffset: 16, as: UInt32.self)  // FIEMAP_FLAG_SYNC
            raw.storeBytes(of: UInt32(extents), toByteOffset: 24, as: UInt32.self)
            return ioctl(fd, 0xC020_660B, raw.baseAddress!)  // FS_IOC_FIEMAP
        }
        guard mapped == 0 else { return nil }
        return buffer.withUnsafeBytes { raw in
            let count = Int(raw.load(fromByteOffset: 20, as: UInt32.self))
            return (0..<count).contains { index in
                raw.load(fromByteOffset: 32 + 56 * index + 40, as: UInt32.self) & 0x800 != 0  // FIEMAP_EXTENT_UNWRITTEN
            }
        }
    }

    @Test func aRecordTornByACrashIsClearedAndTheJournalGoesOn() async throws {
        try await withTemporaryDirectory { folder in
            let journal = try AuditJournal(folder: folder, segmentBytes: 1 << 20)
            let first = AuditChainRow.chain(Self.entries(2), node: "node-a", after: (0, AuditRowCoding.genesis))
            try journal.append(first)
            // Half of the next record reached the disk before the process died.
            let torn = AuditChainRow.chain(Self.entries(1), node: "node-a", after: (2, first[1].hash))
            var bytes: [UInt8] = []
            JournalRecord.append(torn[0], to: &bytes)
            let segment = folder.appendingPathComponent(AuditJournal.segmentName(first: 1))
            let handle = try FileHandle(forWritingTo: segment)
            var written: [UInt8] = []
            for row in first { JournalRecord.append(row, to: &written) }
            try handle.seek(toOffset: UInt64(written.count))
            handle.write(Data(bytes.prefix(bytes.count / 2)))
            try handle.close()

            let recovered = try AuditJournal(folder: folder, segmentBytes: 1 << 20)
            #expect(recovered.head?.sequence == 2, "the torn record does not count")
            let next = AuditChainRow.chain(Self.entries(1), node: "node-a", after: (2, first[1].hash))
            try recovered.append(next)
            #expect(try AuditJournal(folder: folder, segmentBytes: 1 << 20).rows(after: 0, limit: 10) == first + next)
        }
    }

    @Test func damageBeforeTheEndIsReportedNotSkipped() async throws {
        try await withTemporaryDirectory { folder in
            let journal = try AuditJournal(folder: folder, segmentBytes: 2048)
            var head: (sequence: Int64, hash: String) = (0, AuditRowCoding.genesis)
            for _ in 0..<6 {
                let rows = AuditChainRow.chain(Self.entries(2), node: "node-a", after: head)
                try journal.append(rows)
                head = (rows.last!.sequence, rows.last!.hash)
            }
            let oldest = folder.appendingPathComponent(AuditJournal.segmentName(first: 1))
            var data = try Data(contentsOf: oldest)
            data[100] ^= 0xFF
            try data.write(to: oldest)
            #expect(throws: JournalError.self) { try AuditJournal(folder: folder, segmentBytes: 2048).rows(after: 0, limit: 100) }
        }
    }

    @Test func theIndexIsCaughtUpFromTheJournalOnceWhateverHowOftenItOpens() async throws {
        try await withTemporaryDirectory { folder in
            let journalFolder = folder.appendingPathComponent("audit.journal")
            // Durable in the journal only: the process died before indexing them.
            let journal = try AuditJournal(folder: journalFolder.appendingPathComponent("node-a"), segmentBytes: 1 << 20)
            let entries = Self.entries(5)
            let rows = AuditChainRow.chain(entries, node: "node-a", after: (0, AuditRowCoding.genesis))
            try journal.append(rows)

            let path = folder.appendingPathComponent("audit.sqlite").path
            for _ in 0..<2 {
                let store = try await JournaledAuditStore.open(index: try SQLiteAuditStore(path: path, synchronous: .normal),
                                                               settings: .init(folder: journalFolder))
                for entry in entries { #expect(try await store.exchange(id: entry.record.id) != nil) }
                #expect(try await store.exchanges(AuditQuery()).records.count == 5)
                #expect(try await store.verify(node: nil).isIntact)
            }

            // Appends continue the chain; the index follows off the request path.
            let store = try await JournaledAuditStore.open(index: try SQLiteAuditStore(path: path, synchronous: .normal),
                                                           settings: .init(folder: journalFolder))
            let more = Self.entries(3)
            try await store.append(more, node: "node-a")
            #expect(try await store.exchanges(AuditQuery()).records.count == 8)
            #expect(try await store.verify(node: nil).isIntact)
            #expect(try AuditJournal(folder: journalFolder.appendingPathComponent("node-a"), segmentBytes: 1 << 20, writable: false).head?.sequence == 8)
        }
    }

    @Test func aJournalStartedBesideAnExistingStoreContinuesItsChain() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("audit.sqlite").path
            let plain = try SQLiteAuditStore(path: path)
            try await plain.append(Self.entries(4), node: "node-a")
            let store = try await JournaledAuditStore.open(index: try SQLiteAuditStore(path: path, synchronous: .normal),
                                                           settings: .init(folder: folder.appendingPathComponent("audit.journal")))
            try await store.append(Self.entries(2), node: "node-a")
            #expect(try await store.exchanges(AuditQuery()).records.count == 6)
            #expect(try await store.verify(node: nil).isIntact)
        }
    }

    @Test func pruningRemovesWholeSegmentsBeforeTheAnchor() async throws {
        try await withTemporaryDirectory { folder in
            let journalFolder = folder.appendingPathComponent("audit.journal")
            let store = try await JournaledAuditStore.open(
                index: try SQLiteAuditStore(path: folder.appendingPathComponent("audit.sqlite").path, synchronous: .normal),
                settings: .init(folder: journalFolder, segmentBytes: 4096))
            let old = Date().addingTimeInterval(-10 * 86_400)
            for _ in 0..<8 {
                try await store.append((0..<3).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record(receivedAt: old)) }, node: "node-a")
            }
            try await store.append(Self.entries(2), node: "node-a")
            let nodeFolder = journalFolder.appendingPathComponent("node-a")
            let before = try AuditJournal(folder: nodeFolder, segmentBytes: 4096, writable: false).segments()
            let result = try await store.prune(before: Date().addingTimeInterval(-86_400), actor: "test")
            #expect(result.removed == 24)
            let after = try AuditJournal(folder: nodeFolder, segmentBytes: 4096, writable: false).segments()
            #expect(after.count < before.count)
            #expect(after.first.map { $0 <= 25 } == true, "the segment holding the first kept record stays")
            #expect(try await store.verify(node: nil).isIntact)
            #expect(try await store.exchanges(AuditQuery()).records.count == 2)
        }
    }
}
