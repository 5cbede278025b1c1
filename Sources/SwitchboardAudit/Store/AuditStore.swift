public import Foundation

/// Where exchange records are kept: an append-only log with one hash chain per node. SQLite and
/// PostgreSQL implement it; nothing above this protocol knows which.
///
/// Records are never changed in place: an exchange is *opened* (one row) and later *completed*
/// or marked *interrupted* (another row); its record is its latest row.
public protocol AuditStore: Sendable {
    /// Appends `entries` to `node`'s chain, in order, in one durable transaction.
    func append(_ entries: [AuditEntry], node: String) async throws

    /// Checks the store can take a write now (used to notice it has recovered).
    func probe() async throws

    /// Closes and reopens the store's connections, so that after a failed write nothing the
    /// failed connections held (file handles, cached pages) is trusted again.
    func reopen() async throws

    /// For each entry, whether `node`'s chain holds a row of that exchange and kind: how a
    /// transaction whose commit reported an error is reconciled (its outcome is unknown).
    func storedEntries(_ entries: [AuditEntry], node: String) async throws -> [Bool]

    /// Appends an `interrupted` row for each exchange `node` opened and never completed (a crash).
    func interruptOpenExchanges(node: String, at: Date) async throws -> Int

    /// Exchanges matching `query`, newest first, one page.
    func exchanges(_ query: AuditQuery) async throws -> AuditPage

    /// One exchange's record.
    func exchange(id: UUID) async throws -> ExchangeRecord?

    /// Walks every node's chain (or one node's).
    func verify(node: String?) async throws -> ChainVerification

    /// Folds every exchange matching `query` (its paging ignored) into `initial`, oldest first,
    /// without holding them all in memory.
    func reduceExchanges<Result: Sendable>(_ query: AuditQuery, into initial: Result,
                                           _ update: @escaping @Sendable (inout Result, ExchangeRecord) -> Void) async throws -> Result

    /// The last sequence number and hash of `node`'s chain that queries and ``verify(node:)`` see
    /// (or its anchor, or genesis).
    func chainHead(node: String) async throws -> (sequence: Int64, hash: String)

    /// The stored hash of each of `node`'s records at `sequences` that the store holds, and of
    /// the anchor a prune left if one of them is its sequence.
    func chainHashes(node: String, at sequences: [Int64]) async throws -> [Int64: String]

    /// Keeps a signed checkpoint. Checkpoints, like records, are never changed or removed.
    func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws

    /// Every checkpoint of `node` (or of every node), oldest first.
    func checkpoints(node: String?) async throws -> [AuditCheckpoint]

    /// `node`'s newest checkpoint.
    func latestCheckpoint(node: String) async throws -> AuditCheckpoint?

    /// Removes rows received before `cutoff`, recording in each chain where it was cut.
    func prune(before cutoff: Date, actor: String) async throws -> PruneResult

    /// Does the store's background work until the calling task is cancelled: the journaled store
    /// feeds its index here. The ``AuditWriter`` runs it in its task group; a store with no such
    /// work returns at once.
    func maintain() async

    /// Finishes the background work as the writer stops: the journaled store indexes what it
    /// still holds for its index. Called outside the cancelled task that ran ``maintain()``
    /// (the index's database refuses work from a cancelled task).
    func finishMaintenance() async
}

extension AuditStore {
    public func maintain() async {}
    public func finishMaintenance() async {}
}

/// A store that can also serve as the index of an audit journal (``JournaledAuditStore``): it
/// takes rows the journal has already chained, idempotently, and says where each chain ends.
public protocol AuditIndex: AuditStore {
    /// Stores rows chained by the journal, in order; rows it holds already are skipped.
    func index(_ rows: [AuditChainRow]) async throws

    /// `node`'s exchanges opened and never completed.
    func openExchanges(node: String) async throws -> [ExchangeRecord]
}

/// One row to append: a record and what it says about the exchange.
public struct AuditEntry: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case open, complete, interrupted
        /// A call to the management listener (admin or audit API), allowed or refused.
        case management
    }

    public var kind: Kind
    public var record: ExchangeRecord

    public init(kind: Kind, record: ExchangeRecord) {
        self.kind = kind
        self.record = record
    }
}

extension AuditEntry {
    /// The `interrupted` rows that close `open` exchanges a crash left behind.
    static func interruptions(of open: [ExchangeRecord], at date: Date) -> [AuditEntry] {
        open.map { record in
            var record = record
            record.outcome = .interrupted
            record.completedAt = date
            return AuditEntry(kind: .interrupted, record: record)
        }
    }
}

/// What `prune` did.
public struct PruneResult: Sendable, Hashable, Codable {
    public var removed: Int
    /// Per node: the sequence number the chain now starts after, and the hash it continues from.
    public var anchors: [String: ChainAnchor]

    public init(removed: Int, anchors: [String: ChainAnchor]) {
        self.removed = removed
        self.anchors = anchors
    }
}

/// Where a node's chain starts after a prune.
public struct ChainAnchor: Sendable, Hashable, Codable {
    public var afterSequence: Int64
    public var hash: String

    public init(afterSequence: Int64, hash: String) {
        self.afterSequence = afterSequence
        self.hash = hash
    }
}
