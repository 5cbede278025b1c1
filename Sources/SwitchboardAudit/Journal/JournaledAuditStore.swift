public import Foundation
import Synchronization

/// The audit store of a single-node deployment: a record is durable once its node's
/// ``AuditJournal`` holds it (one write and one `fdatasync` per group), and the index — SQLite —
/// is fed from the journal off the request path. The index is caught up from its last row when
/// the store opens (so a crash loses nothing the journal held), and every query waits until it
/// holds everything durable. Indexing is idempotent by chain position, so a journal replayed twice
/// (two processes, or a crash mid-index) leaves one row per record.
public final class JournaledAuditStore: AuditStore {
    public struct Settings: Sendable {
        /// The folder holding one journal folder per node.
        public var folder: URL
        public var segmentBytes: Int
        /// `false` to open the journal for reading only (the CLI beside a running server).
        public var writable: Bool
        /// Whether each group is synced; `false` survives a process crash only.
        public var syncs: Bool
        /// How long a query waits for the index to catch up before it reports why it has not.
        public var catchUpTimeout: Duration

        public init(folder: URL, segmentBytes: Int = 64 << 20, writable: Bool = true, syncs: Bool = true, catchUpTimeout: Duration = .seconds(10)) {
            self.folder = folder
            self.segmentBytes = segmentBytes
            self.writable = writable
            self.syncs = syncs
            self.catchUpTimeout = catchUpTimeout
        }
    }

    public let index: any AuditIndex
    public let settings: Settings
    private let journals: JournalQueue
    private let pending = Mutex(Pending())
    /// Nodes this process has appended to: their journal's last row is their chain's head.
    private let chained = Mutex(Set<String>())

    private struct Pending {
        var rows: [AuditChainRow] = []
        /// Whether a task is feeding the index now (``maintain()``, or a query catching it up).
        var indexing = false
        var failure: String?
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// Wakes ``maintain()`` when rows arrive, while it runs.
        var wake: AsyncStream<Void>.Continuation?
    }

    private init(index: any AuditIndex, settings: Settings) {
        self.index = index
        self.settings = settings
        journals = JournalQueue(settings: settings)
    }

    /// Opens the journals under `settings.folder` and catches the index up with them.
    public static func open(index: any AuditIndex, settings: Settings) async throws -> JournaledAuditStore {
        let store = JournaledAuditStore(index: index, settings: settings)
        try await store.catchUp()
        return store
    }

    /// Indexes every journal row the index does not hold yet.
    private func catchUp() async throws {
        for node in try journals.nodes() {
            while true {
                let head = try await index.chainHead(node: node)
                let rows = try await journals.run { try $0.withJournal(node: node) { try $0.rows(after: head.sequence, limit: 4096) } }
                guard !rows.isEmpty else { break }
                try await index.index(rows)
            }
        }
    }

    // MARK: Writing

    public func append(_ entries: [AuditEntry], node: String) async throws {
        guard !entries.isEmpty else { return }
        // The chain goes on from the journal's last row, or from the index's when the index is
        // further on (a store that had no journal yet).
        let indexHead = chained.withLock({ $0.contains(node) }) ? nil : try await index.chainHead(node: node)
        // A group of open rows only (exchanges about to be forwarded) is written but not synced:
        // it survives a process crash, and the next group that completes an exchange syncs the
        // journal up to and including it before that exchange's answer ends. Every completion is
        // durable, and so is the opening of every exchange anyone got an answer to.
        let sync = !entries.allSatisfy { $0.kind == .open }
        let rows = try await journals.run { try Self.write(entries, node: node, after: indexHead, sync: sync, in: $0) }
        chained.withLock { _ = $0.insert(node) }
        enqueueForIndex(rows)
    }

    /// Writes `entries` on the calling thread, without syncing them (``syncNow(node:)`` does):
    /// for an event loop that writes its own group at the end of its tick, with no hop to the
    /// journal's queue and back. `false`, with nothing written, until this process has chained
    /// `node` (its first append reads the chain's head from the index, which only
    /// ``append(_:node:)`` may wait for).
    public func appendNow(_ entries: [AuditEntry], node: String) throws -> Bool {
        guard !entries.isEmpty else { return true }
        guard chained.withLock({ $0.contains(node) }) else { return false }
        enqueueForIndex(try Self.write(entries, node: node, after: nil, sync: false, in: journals))
        return true
    }

    /// Makes everything written to `node`'s journal so far durable, on the calling thread.
    public func syncNow(node: String) throws {
        try journals.withJournal(node: node) { try $0.sync() }
    }

    private static func write(_ entries: [AuditEntry], node: String, after indexHead: (sequence: Int64, hash: String)?, sync: Bool,
                              in journals: JournalQueue) throws -> [AuditChainRow] {
        try journals.withJournal(node: node) { journal in
            var head = journal.head ?? (0, AuditRowCoding.genesis)
            if let indexHead, indexHead.sequence > head.sequence { head = indexHead }
            let rows = AuditChainRow.chain(entries, node: node, after: head)
            try journal.append(rows, sync: sync)
            return rows
        }
    }

    private func enqueueForIndex(_ rows: [AuditChainRow]) {
        let wake = pending.withLock { pending in
            pending.rows += rows
            return pending.wake
        }
        wake?.yield()
    }

    /// Feeds the index from the journal, off the request path, until the calling task is
    /// cancelled; a failing index is retried (the rows are durable in the journal meanwhile).
    /// Without it, each query catches the index up itself.
    public func maintain() async {
        let (wakeups, wake) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        pending.withLock { $0.wake = wake }
        wake.yield()
        await withTaskCancellationHandler {
            for await _ in wakeups {
                while await indexPending(gathering: true) == .failed, !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
                    try? await index.reopen()
                }
            }
        } onCancel: {
            wake.finish()
        }
        pending.withLock { $0.wake = nil }
    }

    /// How long rows are gathered for one index transaction at most, and how many make one.
    static let gatheringTime = Duration.milliseconds(250)
    static let gatheredRows = 2048

    public func finishMaintenance() async {
        try? await indexCaughtUp()
    }

    private enum IndexPass {
        /// Every pending row is indexed.
        case done
        /// Another task is indexing.
        case busy
        /// The index refused a batch; ``Pending/failure`` says why.
        case failed
        /// The calling task was cancelled (the process is stopping): the index's database would
        /// refuse its work, so the pending rows are left for ``finishMaintenance()``.
        case stopped
    }

    /// Feeds pending rows to the index, a batch per transaction, until none is left, the index
    /// fails or the calling task is cancelled; one task at a time.
    private func indexPending(gathering: Bool) async -> IndexPass {
        guard pending.withLock({ pending -> Bool in
            guard !pending.indexing else { return false }
            pending.indexing = true
            return true
        }) else { return .busy }
        defer {
            pending.withLock { $0.indexing = false }
            resumeWaiters()
        }
        while !Task.isCancelled {
            // Up to ``gatheringTime`` gathers the rows of many journal groups into one index
            // transaction, unless a query is waiting for them: a transaction writes each index's
            // last pages once, so the pages written per exchange fall as the transaction grows.
            if gathering {
                let deadline = ContinuousClock.now + Self.gatheringTime
                while ContinuousClock.now < deadline,
                      pending.withLock({ (1..<Self.gatheredRows).contains($0.rows.count) && $0.waiters.isEmpty }) {
                    guard (try? await Task.sleep(for: .milliseconds(5))) != nil else { return .stopped }
                }
            }
            let batch = pending.withLock { Array($0.rows.prefix(Self.gatheredRows)) }
            guard !batch.isEmpty else { return .done }
            do {
                try await index.index(batch)
                pending.withLock { pending in
                    pending.rows.removeFirst(batch.count)
                    pending.failure = nil
                }
            } catch {
                pending.withLock { $0.failure = "\(error)" }
                return .failed
            }
        }
        return .stopped
    }

    /// Wakes the queries waiting for the index (it has caught up, or failed).
    private func resumeWaiters() {
        for waiter in pending.withLock({ pending in defer { pending.waiters.removeAll() }; return pending.waiters }) { waiter.resume() }
    }

    /// Returns once the index holds every durable row; throws if it cannot catch up in time.
    private func indexCaughtUp() async throws {
        let deadline = ContinuousClock.now + settings.catchUpTimeout
        while true {
            let (behind, failure) = pending.withLock { ($0.rows.count, $0.failure) }
            if behind == 0 { return }
            guard ContinuousClock.now < deadline else {
                throw AuditStoreError.unavailable("the audit index is \(behind) records behind the journal\(failure.map { ": \($0)" } ?? "")")
            }
            switch await indexPending(gathering: false) {
            case .done:
                continue
            case .failed:
                try await Task.sleep(for: .milliseconds(50))
            case .stopped:
                throw CancellationError()
            case .busy:
                // Another task is indexing: wait until it ends (caught up, or failed).
                await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
                    let ready = pending.withLock { pending -> Bool in
                        if pending.rows.isEmpty || pending.failure != nil || !pending.indexing { return true }
                        pending.waiters.append(waiter)
                        return false
                    }
                    if ready { waiter.resume() }
                }
                if pending.withLock({ $0.failure != nil }) { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
    }

    public func probe() async throws {
        try await journals.run { try $0.probe() }
    }

    public func reopen() async throws {
        try await journals.run { try $0.reopen() }
        try await index.reopen()
    }

    public func storedEntries(_ entries: [AuditEntry], node: String) async throws -> [Bool] {
        try await catchUp()
        return try await index.storedEntries(entries, node: node)
    }

    public func interruptOpenExchanges(node: String, at date: Date) async throws -> Int {
        try await indexCaughtUp()
        let entries = AuditEntry.interruptions(of: try await index.openExchanges(node: node), at: date)
        try await append(entries, node: node)
        return entries.count
    }

    // MARK: Reading

    public func exchanges(_ query: AuditQuery) async throws -> AuditPage {
        try await indexCaughtUp()
        return try await index.exchanges(query)
    }

    public func exchange(id: UUID) async throws -> ExchangeRecord? {
        try await indexCaughtUp()
        return try await index.exchange(id: id)
    }

    public func verify(node: String?) async throws -> ChainVerification {
        try await indexCaughtUp()
        return try await index.verify(node: node)
    }

    // MARK: Chain heads and checkpoints, in the index

    public func chainHead(node: String) async throws -> (sequence: Int64, hash: String) {
        try await indexCaughtUp()
        return try await index.chainHead(node: node)
    }

    public func chainHashes(node: String, at sequences: [Int64]) async throws -> [Int64: String] {
        try await indexCaughtUp()
        return try await index.chainHashes(node: node, at: sequences)
    }

    public func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try await index.appendCheckpoint(checkpoint)
    }

    public func checkpoints(node: String?) async throws -> [AuditCheckpoint] {
        try await index.checkpoints(node: node)
    }

    public func latestCheckpoint(node: String) async throws -> AuditCheckpoint? {
        try await index.latestCheckpoint(node: node)
    }

    public func reduceExchanges<Result: Sendable>(_ query: AuditQuery, into initial: Result,
                                                  _ update: @escaping @Sendable (inout Result, ExchangeRecord) -> Void) async throws -> Result {
        try await indexCaughtUp()
        return try await index.reduceExchanges(query, into: initial, update)
    }

    /// Prunes the index, then removes the journal segments whose rows all lie before each
    /// chain's new anchor.
    public func prune(before cutoff: Date, actor: String) async throws -> PruneResult {
        try await indexCaughtUp()
        let result = try await index.prune(before: cutoff, actor: actor)
        try await journals.run { journals in
            for (node, anchor) in result.anchors { _ = try journals.withJournal(node: node) { try $0.removeSegments(through: anchor.afterSequence) } }
        }
        return result
    }
}

/// The journals of every node, behind one mutex: touched on one serial queue by
/// ``JournaledAuditStore/append(_:node:)`` (their file I/O blocks, so it stays off Swift's
/// cooperative threads) and by event loops writing their own groups.
private final class JournalQueue: Sendable {
    let settings: JournaledAuditStore.Settings
    private let queue = DispatchQueue(label: "switchboard.audit.journal")
    private let journals = Mutex<[String: AuditJournal]>([:])

    init(settings: JournaledAuditStore.Settings) {
        self.settings = settings
    }

    func run<Value: Sendable>(_ body: @escaping @Sendable (JournalQueue) throws -> Value) async throws -> Value {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body(self) }) }
        }
    }

    /// The nodes with a journal folder.
    func nodes() throws -> [String] {
        guard FileManager.default.fileExists(atPath: settings.folder.path) else { return [] }
        return try FileManager.default.contentsOfDirectory(atPath: settings.folder.path).filter { !$0.hasPrefix(".") }.sorted()
    }

    /// Runs `body` with `node`'s journal, opened on first use (on the queue).
    func withJournal<Value: Sendable>(node: String, _ body: (AuditJournal) throws -> Value) throws -> Value {
        try journals.withLock { journals in
            if let journal = journals[node] { return try body(journal) }
            let journal = try AuditJournal(folder: settings.folder.appendingPathComponent(node), segmentBytes: settings.segmentBytes,
                                           writable: settings.writable, syncs: settings.syncs)
            journals[node] = journal
            return try body(journal)
        }
    }

    func probe() throws {
        try journals.withLock { journals in
            if journals.isEmpty, settings.writable {
                try FileManager.default.createDirectory(at: settings.folder, withIntermediateDirectories: true)
            }
            for journal in journals.values { try journal.probe() }
        }
    }

    func reopen() throws {
        try journals.withLock { journals in
            for journal in journals.values { try journal.reopen() }
        }
    }
}
