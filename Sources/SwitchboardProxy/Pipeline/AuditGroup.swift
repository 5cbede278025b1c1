import NIOCore
import Synchronization
import SwitchboardAudit

/// The records one event loop makes, written by the loop itself: no thread is woken to write
/// them and none wakes the loop when they are durable.
///
/// A task queued with a tick's first record runs once the loop has handled every event it had
/// ready, and writes the tick's records (``ExchangeRecorder/writeNow(_:)``): the opened ones
/// as one group, whose exchanges go on to their providers at once (an opened record is not
/// synced on its own), then the completed ones. Their sync is a task of its own, so the loop
/// first handles the events that arrived meanwhile and the one `fdatasync` covers their records
/// too; the completed exchanges' answers end after it. A recorder that cannot write on the
/// calling thread gets the records one by one (``ExchangeRecorder/open(_:done:)``).
final class AuditGroup {
    typealias Done = (Result<Void, any Error>) -> Void

    private let recorder: any ExchangeRecorder
    private let eventLoop: any EventLoop
    private var opened: [AuditEntry] = []
    private var openedDone: [Done] = []
    private var completed: [AuditEntry] = []
    private var completedDone: [Done] = []
    /// Written, waiting for the sync.
    private var syncing: [Done] = []
    private var writeQueued = false
    private var syncQueued = false

    init(recorder: any ExchangeRecorder, eventLoop: any EventLoop) {
        self.recorder = recorder
        self.eventLoop = eventLoop
    }

    func submit(_ entry: AuditEntry, done: @escaping Done) {
        if entry.kind == .open {
            opened.append(entry)
            openedDone.append(done)
        } else {
            completed.append(entry)
            completedDone.append(done)
        }
        guard !writeQueued else { return }
        writeQueued = true
        eventLoop.assumeIsolated().execute { self.write() }
    }

    /// Writes what the loop recorded since the last write: the opened records, whose exchanges
    /// then go on, and the completed ones, which wait for the sync.
    private func write() {
        writeQueued = false
        if !opened.isEmpty {
            let entries = opened, done = openedDone
            opened.removeAll(keepingCapacity: true)
            openedDone.removeAll(keepingCapacity: true)
            if let result = recorder.writeNow(entries) {
                for done in done { done(result) }
            } else {
                for (entry, done) in zip(entries, done) { recordLater(entry, done: done) }
            }
        }
        guard !completed.isEmpty else { return }
        let entries = completed, done = completedDone
        completed.removeAll(keepingCapacity: true)
        completedDone.removeAll(keepingCapacity: true)
        switch recorder.writeNow(entries) {
        case nil:
            for (entry, done) in zip(entries, done) { recordLater(entry, done: done) }
        case .failure(let error)?:
            for done in done { done(.failure(error)) }
        case .success?:
            syncing += done
            guard !syncQueued else { return }
            syncQueued = true
            eventLoop.assumeIsolated().execute { self.sync() }
        }
    }

    /// Writes what was recorded since the last write, syncs, and tells every completed record
    /// written before the sync.
    private func sync() {
        write()
        syncQueued = false
        let done = syncing
        syncing.removeAll(keepingCapacity: true)
        let result = recorder.syncNow()
        for done in done { done(result) }
    }

    /// Hands `entry` to the recorder's own group commit, for a recorder that cannot write now.
    private func recordLater(_ entry: AuditEntry, done: @escaping Done) {
        let done = NIOLoopBound(done, eventLoop: eventLoop)
        let eventLoop = self.eventLoop
        let answer: @Sendable (Result<Void, any Error>) -> Void = { result in eventLoop.execute { done.value(result) } }
        entry.kind == .open ? recorder.open(entry.record, done: answer) : recorder.complete(entry.record, done: answer)
    }
}

/// One ``AuditGroup`` per event loop, made when the loop first records.
final class AuditGroups: Sendable {
    private let recorder: any ExchangeRecorder
    private let groups = Mutex<[ObjectIdentifier: NIOLoopBound<AuditGroup>]>([:])

    init(recorder: any ExchangeRecorder) {
        self.recorder = recorder
    }

    /// Adds `entry` to `eventLoop`'s group (called on that loop); `done` runs on it.
    func submit(_ entry: AuditEntry, on eventLoop: any EventLoop, done: @escaping AuditGroup.Done) {
        let group = groups.withLock { groups in
            if let group = groups[ObjectIdentifier(eventLoop)] { return group }
            let group = NIOLoopBound(AuditGroup(recorder: recorder, eventLoop: eventLoop), eventLoop: eventLoop)
            groups[ObjectIdentifier(eventLoop)] = group
            return group
        }
        group.value.submit(entry, done: done)
    }
}
