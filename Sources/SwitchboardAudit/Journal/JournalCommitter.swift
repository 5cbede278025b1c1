import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes one node's ``AuditJournal`` from the threads that submit records and makes it durable
/// on a thread of its own.
///
/// A group is chained and written (`pwrite`, into the page cache) by the submitting thread under
/// the committer's lock, so an exchange's record costs its event loop no hop to another thread.
/// One `fdatasync` at a time runs on the committer's queue and covers every group written before
/// it began; the groups written while it runs close when it returns and go in the next one (no
/// timer: a lone exchange waits for one sync). A group of open rows only (exchanges about to be
/// forwarded) needs no sync of its own: it survives a process crash, and the next sync covers it.
///
/// Rows reach the index in chain order, once they are durable (or, for open rows, once every
/// row before them is). After a failed write or sync, nothing more is written until
/// ``reopen()``, which clears every group not yet durable, so that what the index holds and what
/// the journal holds stay one chain.
final class JournalCommitter: Sendable {
    typealias Durable = @Sendable (Result<Void, any Error>) -> Void

    /// Written rows not yet handed to the index, with who waits for them to be durable.
    private struct Group {
        var rows: [AuditChainRow]
        var needsSync: Bool
        /// Where the group starts in the segment being written.
        var offset: Int
        var durable: [Durable]
    }

    private struct State {
        var journal: AuditJournal
        var head: (sequence: Int64, hash: String)
        /// Where the chain began before this journal held a row (an index that was further on).
        let chainStart: (sequence: Int64, hash: String)
        var groups: [Group] = []
        /// The last sequence number known durable, and the last one a group waits to be.
        var syncedThrough: Int64
        var wantedThrough: Int64
        var syncing = false
        /// Counts reopens, so that a sync that began before one does not count after it.
        var epoch = 0
        var failure: JournalError?
        /// Where the groups that were not durable when the journal failed begin.
        var discardFrom: Int?
        var idle: [@Sendable () -> Void] = []
        var observer: (@Sendable (_ rows: Int, _ duration: Duration) -> Void)?
    }

    let node: String
    private let state: Mutex<State>
    /// Hands durable rows to the index, in chain order (called under the lock).
    private let release: @Sendable ([AuditChainRow]) -> Void
    /// Where the syncs run, one at a time (tests suspend it to hold syncs back).
    let queue: DispatchQueue

    /// Continues the chain from the journal's last row, or from `chainStart` when that is
    /// further on (the journal of a store whose index held rows before it had a journal).
    init(node: String, journal: sending AuditJournal, chainStart: (sequence: Int64, hash: String),
         release: @escaping @Sendable ([AuditChainRow]) -> Void) {
        self.node = node
        var head = journal.head ?? (0, AuditRowCoding.genesis)
        if chainStart.sequence > head.sequence { head = chainStart }
        state = Mutex(State(journal: journal, head: head, chainStart: chainStart, syncedThrough: head.sequence, wantedThrough: head.sequence))
        self.release = release
        queue = DispatchQueue(label: "switchboard.audit.journal.sync.\(node)")
    }

    /// Told the rows and duration of each sync (the writer's commit metrics).
    func observe(_ observer: @escaping @Sendable (_ rows: Int, _ duration: Duration) -> Void) {
        state.withLock { $0.observer = observer }
    }

    /// Chains `entries` and writes them now; `durable` runs once they are durable (on the
    /// committer's queue), at once for a group that needs no sync, or with the error that
    /// stopped them.
    func write(_ entries: [AuditEntry], sync: Bool, durable: @escaping Durable) {
        guard !entries.isEmpty else { return durable(.success(())) }
        let (answers, startSync) = state.withLock { state -> ([() -> Void], Bool) in
            if let failure = state.failure { return ([{ durable(.failure(failure)) }], false) }
            let rows = AuditChainRow.chain(entries, node: node, after: state.head)
            let written: (offset: Int, earlierRowsSynced: Bool)
            do {
                let before = state.journal.writeOffset
                do {
                    written = try state.journal.write(rows)
                } catch {
                    state.discardFrom = state.groups.first?.offset ?? before
                    throw error
                }
            } catch {
                let failure = error as? JournalError ?? .broken("\(error)")
                return (Self.fail(&state, failure) + [{ durable(.failure(failure)) }], false)
            }
            if written.earlierRowsSynced { state.syncedThrough = state.head.sequence }
            state.head = (rows[rows.count - 1].sequence, rows[rows.count - 1].hash)
            let needsSync = sync && state.journal.syncs
            state.groups.append(Group(rows: rows, needsSync: needsSync, offset: written.offset, durable: needsSync ? [durable] : []))
            var answers = releaseDurable(&state)
            if !needsSync { answers.append { durable(.success(())) } }
            guard needsSync else { return (answers, false) }
            state.wantedThrough = state.head.sequence
            guard !state.syncing else { return (answers, false) }
            state.syncing = true
            return (answers, true)
        }
        for answer in answers { answer() }
        if startSync { queue.async { self.syncUntilCaughtUp() } }
    }

    /// Syncs while a group waits for it; each sync covers what was written before it began.
    private func syncUntilCaughtUp() {
        while true {
            let job = state.withLock { state -> (file: SegmentFile, through: Int64, epoch: Int)? in
                guard state.failure == nil, state.wantedThrough > state.syncedThrough, let file = state.journal.file else {
                    state.syncing = false
                    return nil
                }
                return (file, state.head.sequence, state.epoch)
            }
            guard let job else { return finishIdle() }
            let started = ContinuousClock.now
            let synced = fdatasync(job.file.descriptor) == 0
            let error = synced ? nil : JournalError.io("cannot sync \(job.file.path)", errno)
            let elapsed = started.duration(to: .now)
            let (answers, rows, observer) = state.withLock { state -> ([() -> Void], Int, (@Sendable (Int, Duration) -> Void)?) in
                guard state.epoch == job.epoch, state.failure == nil else { return ([], 0, nil) }
                if let error {
                    state.discardFrom = state.groups.first?.offset ?? state.journal.writeOffset
                    return (Self.fail(&state, error), 0, nil)
                }
                let before = state.syncedThrough
                state.syncedThrough = max(state.syncedThrough, job.through)
                return (releaseDurable(&state), Int(state.syncedThrough - before), state.observer)
            }
            if synced { observer?(rows, elapsed) }
            for answer in answers { answer() }
        }
    }

    /// Hands the index every group, from the oldest, that is durable or needs no sync, and
    /// returns the answers of those waiting for them.
    private func releaseDurable(_ state: inout State) -> [() -> Void] {
        var count = 0
        while count < state.groups.count {
            let group = state.groups[count]
            guard !group.needsSync || group.rows[group.rows.count - 1].sequence <= state.syncedThrough else { break }
            count += 1
        }
        guard count > 0 else { return [] }
        let released = state.groups[..<count]
        state.groups.removeFirst(count)
        release(released.flatMap(\.rows))
        return released.flatMap(\.durable).map { durable in { durable(.success(())) } }
    }

    /// Marks the journal failed and returns the answers refusing every group not yet durable.
    private static func fail(_ state: inout State, _ failure: JournalError) -> [() -> Void] {
        state.failure = failure
        defer { state.groups.removeAll() }
        return state.groups.flatMap(\.durable).map { durable in { durable(.failure(failure)) } }
    }

    private func finishIdle() {
        let idle = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.syncing else { return [] }
            defer { state.idle.removeAll() }
            return state.idle
        }
        for waiter in idle { waiter() }
    }

    /// Returns once no group waits for a sync (every record written so far is durable, or refused).
    func flushed() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.syncing else { return true }
                state.idle.append { continuation.resume() }
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Groups written and not yet durable.
    var waiting: Int { state.withLock { $0.groups.count } }

    /// Clears the groups that were not durable when the journal failed, reads it again, and
    /// lets writing go on from its last row.
    func reopen() throws {
        try state.withLock { state in
            try state.journal.reopen(discardingFrom: state.discardFrom)
            state.discardFrom = nil
            state.failure = nil
            state.groups.removeAll()
            state.epoch += 1
            var head = state.journal.head ?? (0, AuditRowCoding.genesis)
            if state.chainStart.sequence > head.sequence { head = state.chainStart }
            state.head = head
            state.syncedThrough = head.sequence
            state.wantedThrough = head.sequence
        }
    }

    /// Checks the journal can be written and synced now.
    func probe() throws {
        try state.withLock { try $0.journal.probe() }
    }

    /// Removes whole segments all of whose rows are at or before `sequence` (never the newest).
    func removeSegments(through sequence: Int64) throws {
        _ = try state.withLock { try $0.journal.removeSegments(through: sequence) }
    }
}
