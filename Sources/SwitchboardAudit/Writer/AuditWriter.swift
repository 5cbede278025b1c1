import Foundation
public import Logging
public import ServiceLifecycle
import Synchronization
import SwitchboardCore

/// The proxy's ``ExchangeRecorder`` backed by an ``AuditStore``, with group commit: records
/// submitted while a transaction is being made durable wait and go in the next one, so one
/// `fsync` carries many exchanges. Each caller resumes only once its record is durable. Over a
/// journal, an event loop writes its own groups instead (``writeNow(_:)``, ``syncNow()``),
/// under the same fail-closed rule.
///
/// When the store fails, every waiting and new record is refused at once (the proxy answers
/// `503` and forwards nothing) until a probe shows the store writable again. What the proxy
/// answered during the outage is kept (up to a limit) and written on recovery, after any rows
/// of a failed transaction that may or may not have been committed: the latest row of an
/// exchange is its record.
public final class AuditWriter: ExchangeRecorder, ManagementActionRecorder, Service {
    public struct Settings: Sendable {
        public var node: String
        /// Records per transaction at most.
        public var maximumBatch: Int
        /// How often a failed store is probed.
        public var recoveryInterval: Duration
        /// Records answered during an outage kept for writing on recovery.
        public var maximumDeferred: Int
        /// Told how long each successful commit took (a latency histogram in `/metrics`).
        public var commitObserved: @Sendable (Duration) -> Void

        public init(node: String, maximumBatch: Int = 512, recoveryInterval: Duration = .milliseconds(500), maximumDeferred: Int = 100_000,
                    commitObserved: @escaping @Sendable (Duration) -> Void = { _ in }) {
            self.node = node
            self.maximumBatch = maximumBatch
            self.recoveryInterval = recoveryInterval
            self.maximumDeferred = maximumDeferred
            self.commitObserved = commitObserved
        }
    }

    private struct Waiting {
        var entry: AuditEntry
        /// Told once the entry is durable, or why it is not.
        var done: @Sendable (Result<Void, any Error>) -> Void
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
        var failure: String?
        var deferred: [AuditEntry] = []
        /// Rows of the transaction that failed: perhaps committed, perhaps not.
        var indeterminate: [AuditEntry] = []
        var droppedDeferred = 0
        var wake: AsyncStream<Void>.Continuation?
        var stopped = false
        /// Completed records event loops wrote (``writeNow(_:)``) and have not synced yet.
        var unsynced: [AuditEntry] = []
        var unsyncedSince: ContinuousClock.Instant?

        /// Why records are refused now, if they are.
        var refusal: AuditStoreError? {
            if let failure { return .unavailable(failure) }
            if stopped { return .unavailable("shutting down") }
            return nil
        }
    }

    public let store: any AuditStore
    /// `store` when it is a journal, which an event loop can write on its own thread.
    private let journal: JournaledAuditStore?
    public let settings: Settings
    let logger: Logger
    private let state = Mutex(State())
    private let metrics = Mutex(AuditWriterStatistics())

    public init(store: any AuditStore, settings: Settings, logger: Logger) {
        self.store = store
        journal = store as? JournaledAuditStore
        self.settings = settings
        self.logger = logger
    }

    // MARK: ExchangeRecorder

    public func open(_ record: ExchangeRecord) async throws {
        try await submit(AuditEntry(kind: .open, record: record))
    }

    public func complete(_ record: ExchangeRecord) async throws {
        try await submit(AuditEntry(kind: .complete, record: record))
    }

    public func open(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        submit(AuditEntry(kind: .open, record: record), done: done)
    }

    public func complete(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        submit(AuditEntry(kind: .complete, record: record), done: done)
    }

    public func deferUntilRecovered(_ record: ExchangeRecord) {
        deferUntilRecovered(AuditEntry(kind: .complete, record: record))
    }

    private func deferUntilRecovered(_ entry: AuditEntry) {
        state.withLock { state in
            if state.deferred.count < settings.maximumDeferred {
                state.deferred.append(entry)
            } else {
                state.droppedDeferred += 1
            }
        }
    }

    // MARK: ManagementActionRecorder

    public var isAcceptingRecords: Bool { state.withLock { $0.refusal == nil } }

    public func recordManagementAction(_ record: ExchangeRecord) async throws {
        try await submit(AuditEntry(kind: .management, record: record))
    }

    public func deferManagementAction(_ record: ExchangeRecord) {
        deferUntilRecovered(AuditEntry(kind: .management, record: record))
    }

    /// Whether the store is currently refusing records.
    public var isFailing: Bool { state.withLock { $0.failure != nil } }

    /// Counters for `/metrics`.
    public var statistics: AuditWriterStatistics {
        var statistics = metrics.withLock { $0 }
        statistics.queueDepth = state.withLock { $0.queue.count }
        return statistics
    }

    private func submit(_ entry: AuditEntry) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            submit(entry) { continuation.resume(with: $0) }
        }
    }

    public func writeNow(_ entries: [AuditEntry]) -> Result<Void, any Error>? {
        guard let journal else { return nil }
        if let refusal = state.withLock({ $0.refusal }) { return .failure(refusal) }
        let started = ContinuousClock.now
        do {
            guard try journal.appendNow(entries, node: settings.node) else { return nil }
        } catch {
            fail(entries, error)
            return .failure(AuditStoreError.unavailable("\(error)"))
        }
        if entries.allSatisfy({ $0.kind == .open }) {
            // Opened records are not synced on their own (see `JournaledAuditStore.append`).
            let elapsed = started.duration(to: .now)
            metrics.withLock { $0.recordCommit(records: entries.count, duration: elapsed) }
        } else {
            state.withLock { state in
                if state.unsynced.isEmpty { state.unsyncedSince = started }
                state.unsynced += entries
            }
        }
        return .success(())
    }

    public func syncNow() -> Result<Void, any Error> {
        guard let journal else { return .success(()) }
        let (written, since, failure) = state.withLock { state in
            defer { state.unsynced.removeAll() }
            return (state.unsynced, state.unsyncedSince, state.failure)
        }
        // Failing: the write that failed made these indeterminate too (``fail(_:_:waiting:)``).
        if let failure { return .failure(AuditStoreError.unavailable(failure)) }
        do {
            try journal.syncNow(node: settings.node)
        } catch {
            fail(written, error)
            return .failure(AuditStoreError.unavailable("\(error)"))
        }
        if let since, !written.isEmpty {
            let elapsed = since.duration(to: .now)
            metrics.withLock { $0.recordCommit(records: written.count, duration: elapsed) }
            settings.commitObserved(elapsed)
        }
        return .success(())
    }

    /// A group's write failed and its outcome is unknown: everything is refused until a probe
    /// succeeds, and the waiting records are told so.
    private func fail(_ entries: [AuditEntry], _ error: any Error, waiting batch: [Waiting] = []) {
        logger.error("audit store write failed; refusing new exchanges until it recovers", metadata: [LogKey.error: "\(error)"])
        let queued = state.withLock { state -> [Waiting] in
            state.failure = "\(error)"
            // Records an event loop wrote and has not synced yet are as uncertain as the group.
            state.indeterminate += entries + state.unsynced
            state.unsynced.removeAll()
            defer { state.queue.removeAll() }
            return state.queue
        }
        metrics.withLock { $0.failures += 1 }
        for waiting in batch + queued { waiting.done(.failure(AuditStoreError.unavailable("\(error)"))) }
    }

    /// Queues `entry` for the next group commit; `done` runs once it is durable or refused.
    private func submit(_ entry: AuditEntry, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        let outcome: Result<AsyncStream<Void>.Continuation?, AuditStoreError> = state.withLock { state in
            if let refusal = state.refusal { return .failure(refusal) }
            state.queue.append(Waiting(entry: entry, done: done))
            if state.writing { return .success(nil) }
            state.writing = true
            return .success(state.wake)
        }
        switch outcome {
        case .failure(let error): done(.failure(error))
        case .success(let wake): wake?.yield()
        }
    }

    // MARK: Service

    public func run() async throws {
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = state.withLock { state -> Bool in
            state.wake = wake
            return state.writing
        }
        if pending { wake.yield() }
        let recovered = try await store.interruptOpenExchanges(node: settings.node, at: Date())
        if recovered > 0 {
            logger.warning("marked exchanges left open by an earlier stop as interrupted", metadata: [LogKey.auditInterrupted: "\(recovered)"])
        }
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.recoverWhenFailing() }
                group.addTask { await self.store.maintain() }
                for await _ in wakeups { await self.drain() }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            wake.finish()
        }
        await drain()
        // The index feeder was cancelled with the group; what it had not indexed yet is indexed
        // here, so the store the process leaves behind is complete.
        await store.finishMaintenance()
        let abandoned = state.withLock { state -> [Waiting] in
            state.stopped = true
            defer { state.queue.removeAll() }
            return state.queue
        }
        for waiting in abandoned { waiting.done(.failure(AuditStoreError.unavailable("shutting down"))) }
    }

    /// Writes queued records, a batch per transaction, until the queue is empty.
    private func drain() async {
        while true {
            let batch: [Waiting] = state.withLock { state in
                guard !state.queue.isEmpty, state.failure == nil else {
                    state.writing = false
                    return []
                }
                let count = min(state.queue.count, settings.maximumBatch)
                defer { state.queue.removeFirst(count) }
                return Array(state.queue.prefix(count))
            }
            guard !batch.isEmpty else { return }
            let started = ContinuousClock.now
            do {
                try await store.append(batch.map(\.entry), node: settings.node)
                let elapsed = started.duration(to: .now)
                metrics.withLock { $0.recordCommit(records: batch.count, duration: elapsed) }
                settings.commitObserved(elapsed)
                for waiting in batch { waiting.done(.success(())) }
            } catch {
                // The transaction's outcome is unknown; refuse everything until a probe succeeds.
                fail(batch.map(\.entry), error, waiting: batch)
            }
        }
    }

    /// While the store is failing: reopens it and probes it; once a write succeeds, reconciles the
    /// failed transaction's rows by exchange id, writes what was answered meanwhile, and
    /// accepts exchanges again.
    private func recoverWhenFailing() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: settings.recoveryInterval)
            guard state.withLock({ $0.failure != nil }) else { continue }
            do {
                try await store.reopen()
                try await store.probe()
                let (indeterminate, deferred, dropped) = state.withLock { ($0.indeterminate, $0.deferred, $0.droppedDeferred) }
                let stored = try await store.storedEntries(indeterminate, node: settings.node)
                let committed = stored.filter { $0 }.count
                try await store.append(deferred, node: settings.node)
                state.withLock { state in
                    state.indeterminate.removeFirst(min(indeterminate.count, state.indeterminate.count))
                    state.deferred.removeFirst(min(deferred.count, state.deferred.count))
                    state.droppedDeferred -= dropped
                    state.failure = nil
                }
                metrics.withLock {
                    $0.reconciledCommitted += committed
                    $0.reconciledMissing += indeterminate.count - committed
                }
                // Exchanges of the failed transaction were answered 503 or cut short; their
                // deferred records (written just now) are their latest rows whichever way it went.
                logger.notice("audit store recovered", metadata: [
                    LogKey.auditDeferred: "\(deferred.count)", LogKey.auditDropped: "\(dropped)",
                    LogKey.auditFailedRowsCommitted: "\(committed)", LogKey.auditFailedRowsMissing: "\(indeterminate.count - committed)",
                ])
                if dropped > 0 {
                    logger.error("exchanges answered during the audit outage were not recorded (deferral limit reached)", metadata: [LogKey.auditDropped: "\(dropped)"])
                }
            } catch {
                logger.debug("audit store still failing", metadata: [LogKey.error: "\(error)"])
            }
        }
    }
}

/// Figures about group commit, for `/metrics`.
public struct AuditWriterStatistics: Sendable, Hashable {
    public var commits = 0
    public var records = 0
    public var failures = 0
    /// Rows of failed transactions found committed, or not, when the store recovered.
    public var reconciledCommitted = 0
    public var reconciledMissing = 0
    public var queueDepth = 0
    /// Sum of commit durations, in seconds.
    public var commitSeconds = 0.0
    public var lastCommitSeconds = 0.0

    mutating func recordCommit(records: Int, duration: Duration) {
        commits += 1
        self.records += records
        let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
        commitSeconds += seconds
        lastCommitSeconds = seconds
    }
}
