public import Foundation

/// Where the directory is kept. Implementations (SQLite, PostgreSQL) store the entries, a
/// generation counter bumped by every commit, and the history of every change; nothing above
/// this protocol knows which one is in use.
public protocol DirectoryStore: Sendable {
    /// Everything in the store and the generation it was read at.
    func load() async throws -> StoredDirectory

    /// The current generation; cheap, polled to notice changes made by another process.
    func generation() async throws -> Int64

    /// Writes `changes` and their history atomically, if the store is still at
    /// `expectedGeneration`; returns the new generation.
    ///
    /// - Throws: ``DirectoryStoreError/generationMoved(expected:actual:)`` when someone else
    ///   committed first; the caller reloads, re-applies and retries.
    func commit(_ changes: [EntryChange], expectedGeneration: Int64, author: ChangeAuthor) async throws -> Int64

    /// Recorded changes, newest first.
    func history(_ query: HistoryQuery) async throws -> [HistoryRecord]
}

/// The directory as read from a store.
public struct StoredDirectory: Sendable {
    public var tables: DirectoryTables
    public var generation: Int64

    public init(tables: DirectoryTables, generation: Int64) {
        self.tables = tables
        self.generation = generation
    }
}

public enum DirectoryStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case generationMoved(expected: Int64, actual: Int64)
    case corruptRow(table: String, key: String, reason: String)

    public var description: String {
        switch self {
        case .generationMoved(let expected, let actual):
            "the directory changed while this change was prepared (generation \(expected) → \(actual))"
        case .corruptRow(let table, let key, let reason):
            "directory store row \(table)/\(key) cannot be read: \(reason)"
        }
    }
}

/// Who made a change, and through what.
public struct ChangeAuthor: Hashable, Sendable, Codable {
    public enum Source: String, Hashable, Sendable, Codable, CaseIterable {
        case cli, api, console, `import`, ldif
    }

    /// e.g. `cli:alice`, `token:ops-admin`, `cert:admin.example.nhs.uk`.
    public var actor: String
    public var source: Source
    public var reason: String?

    public init(actor: String, source: Source, reason: String? = nil) {
        self.actor = actor
        self.source = source
        self.reason = reason
    }
}

/// One recorded change to one entry.
public struct HistoryRecord: Hashable, Sendable {
    public var sequence: Int64
    public var generation: Int64
    public var at: Date
    public var author: ChangeAuthor
    public var action: EntryChange.Action
    public var ref: EntityRef
    public var before: DirectoryEntry?
    public var after: DirectoryEntry?

    public init(sequence: Int64, generation: Int64, at: Date, author: ChangeAuthor, action: EntryChange.Action,
                ref: EntityRef, before: DirectoryEntry?, after: DirectoryEntry?) {
        self.sequence = sequence
        self.generation = generation
        self.at = at
        self.author = author
        self.action = action
        self.ref = ref
        self.before = before
        self.after = after
    }
}

/// Which history to read.
public struct HistoryQuery: Hashable, Sendable {
    public var entry: EntityRef?
    public var kind: EntityKind?
    /// Changes to entries with this key, of whatever kind (an ODS code names an organisation,
    /// and a CPA id an endpoint, only once each).
    public var key: String?
    public var since: Date?
    /// Only records with a smaller sequence (for paging backwards).
    public var beforeSequence: Int64?
    public var limit: Int

    public init(entry: EntityRef? = nil, kind: EntityKind? = nil, since: Date? = nil, beforeSequence: Int64? = nil, limit: Int = 100) {
        self.entry = entry
        self.kind = kind
        self.since = since
        self.beforeSequence = beforeSequence
        self.limit = limit
    }
}

/// A store that tells listeners when anyone commits, sooner than polling the generation would.
public protocol DirectoryChangeFeed: Sendable {
    /// Calls `changed` with each generation committed (by any process) until the connection
    /// behind the feed fails, which throws; the caller listens again and polls meanwhile.
    func listenForCommits(_ changed: @escaping @Sendable (Int64) async -> Void) async throws
}
