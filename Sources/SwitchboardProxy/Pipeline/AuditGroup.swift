import NIOCore
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

    /// Records of one kind waiting to be written, and whom to tell.
    private struct Pending {
        var entries: [AuditEntry] = []
        var done: [Done] = []

        mutating func take() -> (entries: [AuditEntry], done: [Done]) {
            defer {
                entries.removeAll(keepingCapacity: true)
                done.removeAll(keepingCapacity: true)
            }
            return (entries, done)
        }
    }

    private let recorder: any ExchangeRecorder
    private let eventLoop: any EventLoop
    private var opened = Pending()
    private var completed = Pending()
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
            opened.entries.append(entry)
            opened.done.append(done)
        } else {
            completed.entries.append(entry)
            completed.done.append(done)
        }
        guard !writeQueued else { return }
        writeQueued = true
        eventLoop.assumeIsolated().execute { self.write() }
    }

    /// Writes what the loop recorded since the last write: the opened records, whose exchanges
    /// then go on, and the completed ones, which wait for the sync.
    private func write() {
        writeQueued = false
        if let (result, done) = write(&opened) {
            for done in done { done(result) }
        }
        guard let (result, done) = write(&completed) else { return }
        guard case .success = result else {
            for done in done { done(result) }
            return
        }
        syncing += done
        guard !syncQueued else { return }
        syncQueued = true
        eventLoop.assumeIsolated().execute { self.sync() }
    }

    /// Writes and empties `pending`; the outcome and whom to tell, or nil when there was nothing
    /// to write or the recorder took the records one by one.
    private func write(_ pending: inout Pending) -> (Result<Void, any Error>, [Done])? {
        guard !pending.entries.isEmpty else { return nil }
        let (entries, done) = pending.take()
        guard let result = recorder.writeNow(entries) else {
            for (entry, done) in zip(entries, done) { Self.recordLater(entry, recorder: recorder, on: eventLoop, done: done) }
            return nil
        }
        return (result, done)
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

    /// Hands `entry` to the recorder's own group commit; `done` runs on `eventLoop`.
    static func recordLater(_ entry: AuditEntry, recorder: any ExchangeRecorder, on eventLoop: any EventLoop, done: @escaping Done) {
        let done = NIOLoopBound(done, eventLoop: eventLoop)
        let answer: @Sendable (Result<Void, any Error>) -> Void = { result in eventLoop.execute { done.value(result) } }
        entry.kind == .open ? recorder.open(entry.record, done: answer) : recorder.complete(entry.record, done: answer)
    }
}

/// One ``AuditGroup`` per event loop of the proxy's group, made up front so that finding a
/// loop's group takes no lock.
final class AuditGroups: Sendable {
    private let recorder: any ExchangeRecorder
    private let groups: [ObjectIdentifier: NIOLoopBoundBox<AuditGroup>]

    init(recorder: any ExchangeRecorder, eventLoopGroup: any EventLoopGroup) {
        self.recorder = recorder
        groups = Dictionary(uniqueKeysWithValues: eventLoopGroup.makeIterator().map { loop in
            (ObjectIdentifier(loop), NIOLoopBoundBox.makeBoxSendingValue(AuditGroup(recorder: recorder, eventLoop: loop), eventLoop: loop))
        })
    }

    /// Adds `entry` to `eventLoop`'s group (called on that loop); `done` runs on it. A loop not
    /// of the group hands the record to the recorder's own group commit.
    func submit(_ entry: AuditEntry, on eventLoop: any EventLoop, done: @escaping AuditGroup.Done) {
        guard let group = groups[ObjectIdentifier(eventLoop)] else {
            return AuditGroup.recordLater(entry, recorder: recorder, on: eventLoop, done: done)
        }
        group.value.submit(entry, done: done)
    }
}
