import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One node's audit journal: the durability point of its records. Segment files in one folder,
/// each named by the first chain sequence number it holds and zero-filled to its full size before
/// it is used (``SegmentPreparer`` makes the next one while the current one fills; when none is
/// ready, the journal zero-fills a small one, ``stopGapBytes``, itself); records are appended
/// with one `pwrite` per group and made durable by one `fdatasync` (``append(_:sync:)``, or
/// ``sync()`` for every group written before it). A torn record at the end (a crash mid-write)
/// is found by its checksum when the journal is opened and cleared.
///
/// Not thread-safe: ``JournaledAuditStore`` calls it under one mutex.
final class AuditJournal {
    let folder: URL
    let segmentBytes: Int
    /// `false` in a process that only reads the journal (the CLI beside a running server): it
    /// neither clears a torn end (which may be a write in progress) nor writes.
    let writable: Bool
    /// Whether each group is synced (`fdatasync`) before it counts as written.
    let syncs: Bool
    /// Bytes of the group whose write or sync failed, at ``writeOffset``: cleared on ``reopen()``.
    private var attempted = 0
    /// Groups were written to the active segment and not synced since.
    private var unsynced = false
    private var descriptor: Int32 = -1
    /// The first sequence number of the segment being written.
    private var activeFirst: Int64 = 0
    private var writeOffset = 0
    /// The size of the segment being written.
    private var activeBytes = 0
    /// Zero-fills the next segment while this one fills (a writable journal only).
    private let preparer: SegmentPreparer?
    /// The size of a segment started when no prepared one is waiting (the first of a journal,
    /// or one started before the preparer finished): small, so that zero-filling it on the
    /// spot delays its group by milliseconds.
    static let stopGapBytes = 1 << 20
    /// The last sequence number and hash written, if any.
    private(set) var head: (sequence: Int64, hash: String)?
    /// A write or sync failed: nothing more is written until ``reopen()``.
    private(set) var broken: String?

    init(folder: URL, segmentBytes: Int, writable: Bool = true, syncs: Bool = true) throws {
        self.folder = folder
        self.segmentBytes = segmentBytes
        self.writable = writable
        self.syncs = syncs
        if writable { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        preparer = writable ? SegmentPreparer(folder: folder) : nil
        try openLastSegment()
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    static func segmentName(first: Int64) -> String { String(format: "segment-%020lld.journal", first) }

    /// The first sequence numbers of the segments, in order.
    func segments() throws -> [Int64] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).compactMap { name -> Int64? in
            guard name.hasPrefix("segment-"), name.hasSuffix(".journal") else { return nil }
            return Int64(name.dropFirst("segment-".count).dropLast(".journal".count))
        }.sorted()
    }

    private func path(first: Int64) -> String { folder.appendingPathComponent(Self.segmentName(first: first)).path }

    /// Opens the newest segment, finds where its records end, and clears a torn record there.
    private func openLastSegment() throws {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        head = nil
        writeOffset = 0
        var firsts = try segments()
        // A segment started by a group whose write then failed holds nothing: the one before goes on.
        while writable, firsts.count > 1, let last = firsts.last, try Self.isEmpty(path(first: last)) {
            unlink(path(first: last))
            firsts.removeLast()
        }
        guard let last = firsts.last else { return }
        activeFirst = last
        let path = path(first: last)
        let fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io("cannot open \(path)", errno) }
        descriptor = fd
        let bytes = try Self.contents(of: path)
        activeBytes = bytes.count
        var offset = 0
        var damagedAt: Int?
        bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                switch JournalRecord.read(UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                case .row(let row, let length):
                    head = (row.sequence, row.hash)
                    offset += length
                case .end:
                    return
                case .damaged:
                    damagedAt = offset
                    return
                }
            }
        }
        writeOffset = offset
        if writable, let damagedAt {
            // A record torn by a crash: nothing after it was acknowledged (it was never synced
            // whole), so it is cleared and the journal goes on from the last whole record.
            let torn = bytes.count - damagedAt
            let zeros = [UInt8](repeating: 0, count: min(torn, 1 << 20))
            try zeros.withUnsafeBytes { try Self.writeAll(fd, $0, at: damagedAt) }
            guard fdatasync(fd) == 0 else { throw JournalError.io("cannot sync \(path)", errno) }
        }
    }

    /// Rows with sequence numbers after `sequence`, oldest first, at most `limit`.
    func rows(after sequence: Int64, limit: Int) throws -> [AuditChainRow] {
        let firsts = try segments()
        guard !firsts.isEmpty else { return [] }
        let start = firsts.lastIndex { $0 <= sequence + 1 } ?? 0
        var rows: [AuditChainRow] = []
        for first in firsts[start...] {
            let path = path(first: first)
            let bytes = try Self.contents(of: path)
            var damaged = false
            bytes.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count, rows.count < limit {
                    switch JournalRecord.read(UnsafeRawBufferPointer(rebasing: raw[offset...])) {
                    case .row(let row, let length):
                        if row.sequence > sequence { rows.append(row) }
                        offset += length
                    case .end:
                        return
                    case .damaged:
                        damaged = first != firsts.last
                        return
                    }
                }
            }
            if damaged { throw JournalError.damaged(path) }
            if rows.count >= limit { break }
        }
        return rows
    }

    /// Appends `rows` (which continue the chain from ``head``) with one write and one sync,
    /// starting a new segment first when they do not fit in the current one. With `sync: false`
    /// the rows survive a process crash, and become durable with the next synced group.
    func append(_ rows: [AuditChainRow], sync: Bool = true) throws {
        guard writable else { throw JournalError.broken("the journal was opened for reading only") }
        if let broken { throw JournalError.broken(broken) }
        guard let first = rows.first else { return }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(rows.count * 1024)
        for row in rows { JournalRecord.append(row, to: &bytes) }
        do {
            if descriptor < 0 || (writeOffset > 0 && writeOffset + bytes.count > activeBytes) {
                try startSegment(first: first.sequence, minimumBytes: bytes.count)
            }
            attempted = bytes.count
            try bytes.withUnsafeBytes { try Self.writeAll(descriptor, $0, at: writeOffset) }
            unsynced = syncs
            if sync { try self.sync() }
        } catch {
            broken = "\(error)"
            throw error
        }
        attempted = 0
        writeOffset += bytes.count
        head = (rows[rows.count - 1].sequence, rows[rows.count - 1].hash)
        if writeOffset >= activeBytes / 2 { preparer?.prepare(bytes: segmentBytes) }
    }

    /// Makes every group written so far durable (one `fdatasync`, none when all are).
    func sync() throws {
        if let broken { throw JournalError.broken(broken) }
        guard unsynced, descriptor >= 0 else { return }
        guard fdatasync(descriptor) == 0 else {
            let error = JournalError.io("cannot sync \(path(first: activeFirst))", errno)
            broken = "\(error)"
            throw error
        }
        unsynced = false
    }

    /// Starts the next segment, the prepared one if it is ready and large enough, else a
    /// stop-gap zero-filled now, and makes its name durable. Groups written to the segment
    /// before it and not synced yet are synced first: a later sync covers the new segment only.
    private func startSegment(first: Int64, minimumBytes: Int) throws {
        try sync()
        let path = path(first: first)
        let fd: Int32
        let size: Int
        if minimumBytes <= segmentBytes, let prepared = preparer?.take(to: path, bytes: segmentBytes) {
            fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw JournalError.io("cannot open \(path)", errno) }
            size = prepared
        } else {
            fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw JournalError.io("cannot create \(path)", errno) }
            size = max(min(segmentBytes, Self.stopGapBytes), minimumBytes)
            do {
                try SegmentPreparer.fillWithZeros(fd, bytes: size, path: path)
            } catch {
                close(fd)
                unlink(path)
                throw error
            }
        }
        try Self.syncFolder(folder.path)
        if descriptor >= 0 { close(descriptor) }
        descriptor = fd
        activeFirst = first
        activeBytes = size
        writeOffset = 0
    }

    /// Checks the journal can be written and synced now: zeros over the unwritten space at its end.
    func probe() throws {
        if descriptor < 0 {
            let probe = folder.appendingPathComponent(".probe").path
            let fd = open(probe, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
            guard fd >= 0 else { throw JournalError.io("cannot write in \(folder.path)", errno) }
            defer { close(fd); unlink(probe) }
            guard write(fd, "probe", 5) == 5, fdatasync(fd) == 0 else { throw JournalError.io("cannot write in \(folder.path)", errno) }
            return
        }
        let zeros = [UInt8](repeating: 0, count: JournalRecord.headerBytes)
        try zeros.withUnsafeBytes { try Self.writeAll(descriptor, $0, at: writeOffset) }
        guard fdatasync(descriptor) == 0 else { throw JournalError.io("cannot sync \(path(first: activeFirst))", errno) }
    }

    /// Rolls back a group whose write, or sync in the same ``append(_:sync:)``, failed (its bytes
    /// are cleared and synced, so none of its records count, whatever reached the disk), then
    /// reads the journal again. Groups written earlier whose ``sync()`` failed stay: they were
    /// handed to the index when written, and the writer looks them up on recovery.
    func reopen() throws {
        if writable, descriptor >= 0, attempted > 0 {
            let zeros = [UInt8](repeating: 0, count: attempted)
            try zeros.withUnsafeBytes { try Self.writeAll(descriptor, $0, at: writeOffset) }
            guard fdatasync(descriptor) == 0 else { throw JournalError.io("cannot sync \(path(first: activeFirst))", errno) }
            attempted = 0
        }
        try openLastSegment()
        broken = nil
    }

    /// Removes whole segments all of whose rows are at or before `sequence` (never the newest).
    @discardableResult
    func removeSegments(through sequence: Int64) throws -> Int {
        let firsts = try segments()
        var removed = 0
        for (index, first) in firsts.enumerated().dropLast() where firsts[index + 1] - 1 <= sequence {
            guard unlink(path(first: first)) == 0 else { throw JournalError.io("cannot remove \(path(first: first))", errno) }
            removed += 1
        }
        if removed > 0 { try Self.syncFolder(folder.path) }
        return removed
    }

    // MARK: Files

    private static func contents(of path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else { throw JournalError.io("cannot read \(path)", errno) }
        return [UInt8](data)
    }

    /// Whether the segment at `path` holds no record (its first header is unwritten).
    private static func isEmpty(_ path: String) throws -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io("cannot open \(path)", errno) }
        defer { close(fd) }
        var header = [UInt8](repeating: 0, count: JournalRecord.headerBytes)
        let read = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        guard read >= 0 else { throw JournalError.io("cannot read \(path)", errno) }
        return header.allSatisfy { $0 == 0 }
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        var written = 0
        while written < bytes.count {
            let result = pwrite(fd, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
            if result < 0 {
                if errno == EINTR { continue }
                throw JournalError.io("cannot write the audit journal", errno)
            }
            written += result
        }
    }

    private static func syncFolder(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw JournalError.io("cannot open \(path)", errno) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw JournalError.io("cannot sync \(path)", errno) }
    }
}

/// Why the audit journal could not be written or read.
public enum JournalError: Error, CustomStringConvertible, Sendable {
    case io(String, Int32)
    case damaged(String)
    case broken(String)
    case chain(String)

    public var description: String {
        switch self {
        case .io(let what, let code): "\(what): \(String(cString: strerror(code)))"
        case .damaged(let path): "the audit journal segment \(path) is damaged before its end (a record's checksum is wrong); keep the file for investigation and restore it from a copy"
        case .broken(let reason): "the audit journal failed earlier (\(reason)) and has not been reopened"
        case .chain(let detail): "the audit journal's chain does not continue the audit store's: \(detail)"
        }
    }
}
