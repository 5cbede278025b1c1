import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Zero-fills the journal's next segment in the background, before it is needed.
///
/// A segment that is only preallocated (`posix_fallocate`) holds unwritten extents: ext4 converts
/// each range the first time it is written, and every `fdatasync` of a group then also writes the
/// inode's extent tree. Over blocks that already hold zeros, a group's sync writes its data and
/// nothing else: 0.24 against 0.31–0.35 ms at p50 on the benchmark machine, and 100 against
/// 119–148 µs of CPU per sync (`Benchmarks/tools/segment_sync.c`).
///
/// The file is written as `.prepared-segment.partial`, synced, and renamed
/// `.prepared-segment`; the journal renames it to the segment's name when it starts the segment.
/// Neither name is a segment's, so readers never see them.
final class SegmentPreparer: Sendable {
    static let preparedName = ".prepared-segment"
    static let partialName = ".prepared-segment.partial"

    private enum State {
        case idle
        case preparing
        /// A prepared file of this many bytes is waiting.
        case ready(Int)
    }

    let folder: URL
    private let state: Mutex<State>
    private let queue = DispatchQueue(label: "switchboard.audit.journal.prepare", qos: .utility)

    /// Removes a partial file left by a crash and adopts a prepared one.
    init(folder: URL) {
        self.folder = folder
        unlink(folder.appendingPathComponent(Self.partialName).path)
        var status = stat()
        let prepared = folder.appendingPathComponent(Self.preparedName).path
        state = Mutex(stat(prepared, &status) == 0 && status.st_size > 0 ? .ready(Int(status.st_size)) : .idle)
    }

    /// Starts zero-filling a segment of `bytes` unless one is ready or under way.
    func prepare(bytes: Int) {
        let start = state.withLock { state -> Bool in
            guard case .idle = state else { return false }
            state = .preparing
            return true
        }
        guard start else { return }
        queue.async { [self] in
            let partial = folder.appendingPathComponent(Self.partialName).path
            let prepared = folder.appendingPathComponent(Self.preparedName).path
            let done: Bool
            do {
                let fd = open(partial, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
                guard fd >= 0 else { throw JournalError.io("cannot create \(partial)", errno) }
                defer { close(fd) }
                try Self.fillWithZeros(fd, bytes: bytes, path: partial)
                done = rename(partial, prepared) == 0
            } catch {
                // Not fatal: the journal starts a small zero-filled segment itself when none is ready.
                unlink(partial)
                done = false
            }
            state.withLock { $0 = done ? .ready(bytes) : .idle }
        }
    }

    /// Renames the prepared file to `path` if one of at least `bytes` is ready; returns its size.
    /// A prepared file that is too small is removed.
    func take(to path: String, bytes: Int) -> Int? {
        state.withLock { state -> Int? in
            guard case .ready(let size) = state else { return nil }
            state = .idle
            let prepared = folder.appendingPathComponent(Self.preparedName).path
            // Prepared for a smaller segment size than the journal's now: made again at the new size.
            guard size >= bytes else {
                unlink(prepared)
                return nil
            }
            return rename(prepared, path) == 0 ? size : nil
        }
    }

    /// Reserves `bytes` for `fd`, writes zeros over them and syncs the file.
    static func fillWithZeros(_ fd: Int32, bytes: Int, path: String) throws {
        let reserved = posix_fallocate(fd, 0, off_t(bytes))
        guard reserved == 0 else { throw JournalError.io("cannot preallocate \(bytes) bytes for \(path)", reserved) }
        let zeros = [UInt8](repeating: 0, count: min(bytes, 1 << 20))
        try zeros.withUnsafeBytes { zeros in
            for offset in stride(from: 0, to: bytes, by: zeros.count) {
                try AuditJournal.writeAll(fd, UnsafeRawBufferPointer(rebasing: zeros.prefix(bytes - offset)), at: offset)
            }
        }
        guard fsync(fd) == 0 else { throw JournalError.io("cannot sync \(path)", errno) }
    }
}
