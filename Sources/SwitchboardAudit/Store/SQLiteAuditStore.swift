public import Foundation
import GRDB
import GRDBSQLite
import Synchronization
import SwitchboardCore
public import SwitchboardStorage

/// The embedded audit store: its own SQLite file (WAL, `synchronous=FULL` by default), rows
/// that triggers refuse to update or delete (only `prune` may delete, through a gate it opens
/// and closes inside its own transaction), and an index for every query filter.
public final class SQLiteAuditStore: AuditIndex {
    public let path: String
    private let synchronous: SQLiteSynchronous
    private let busyTimeoutSeconds: Double
    private let connections: Mutex<DatabasePool>
    /// The connections in use now (replaced by ``reopen()``).
    private var pool: DatabasePool { connections.withLock { $0 } }

    /// Runs `access` on the pool in use now, holding it until the access ends: GRDB's async reads
    /// do not keep their `DatabasePool` alive, and one that ``reopen()`` let go of would close
    /// under them.
    private func onPool<T: Sendable>(_ access: (DatabasePool) async throws -> T) async throws -> T {
        let pool = self.pool
        defer { withExtendedLifetime(pool) {} }
        return try await access(pool)
    }

    private func reading<T: Sendable>(_ value: @Sendable (Database) throws -> T) async throws -> T {
        try await onPool { try await $0.read(value) }
    }

    private func writing<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try await onPool { try await $0.write(updates) }
    }

    private func writingWithoutTransaction<T: Sendable>(_ updates: @Sendable (Database) throws -> T) async throws -> T {
        try await onPool { try await $0.writeWithoutTransaction(updates) }
    }

    /// - Parameter busyTimeoutSeconds: how long a write waits for a lock another process holds
    ///   before the store counts as failing.
    public init(path: String, synchronous: SQLiteSynchronous = .full, busyTimeoutSeconds: Double = 2) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        self.synchronous = synchronous
        self.busyTimeoutSeconds = busyTimeoutSeconds
        let pool = try SQLiteDatabase.openPool(path: path, synchronous: synchronous, busyTimeoutSeconds: busyTimeoutSeconds, label: "switchboard.audit")
        try Self.migrator.migrate(pool)
        connections = Mutex(pool)
    }

    public func reopen() async throws {
        try checkFile()
        let fresh = try SQLiteDatabase.openPool(path: path, synchronous: synchronous, busyTimeoutSeconds: busyTimeoutSeconds, label: "switchboard.audit")
        // The old pool is not closed here: accesses under way finish on it, and it closes its
        // connections when the last of them lets it go. (Closing it here failed those reads, and
        // waiting for them on the cooperative thread pool deadlocked it.)
        connections.withLock { $0 = fresh }
    }

    public func storedEntries(_ entries: [AuditEntry], node: String) async throws -> [Bool] {
        guard !entries.isEmpty else { return [] }
        return try await reading { db in
            let statement = try db.cachedStatement(sql: "SELECT 1 FROM audit_record WHERE exchange_id = ? AND kind = ? AND node = ? LIMIT 1")
            return try entries.map { entry in
                try Bool.fetchOne(statement, arguments: [entry.record.id.uuidString.lowercased(), entry.kind.rawValue, node]) ?? false
            }
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 audit") { db in
            let content = AuditRowCoding.firstContentColumns.map { column -> String in
                switch column {
                case "received_us", "completed_us", "duration_us", "upstream_us", "status", "bytes_in", "bytes_out": "\(column) INTEGER"
                default: "\(column) TEXT"
                }
            }.joined(separator: ",\n    ")
            try db.execute(sql: """
                CREATE TABLE audit_record (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    node TEXT NOT NULL,
                    node_seq INTEGER NOT NULL,
                    prev_hash TEXT NOT NULL,
                    \(content),
                    hash TEXT NOT NULL,
                    UNIQUE (node, node_seq));
                CREATE INDEX audit_exchange ON audit_record(exchange_id, seq);
                CREATE INDEX audit_received ON audit_record(received_us);
                CREATE INDEX audit_trace ON audit_record(trace_id);
                CREATE INDEX audit_correlation ON audit_record(correlation_id);
                CREATE INDEX audit_from_asid ON audit_record(from_asid, received_us);
                CREATE INDEX audit_to_asid ON audit_record(to_asid, received_us);
                CREATE INDEX audit_from_ods ON audit_record(from_ods, received_us);
                CREATE INDEX audit_to_ods ON audit_record(to_ods, received_us);
                CREATE INDEX audit_interaction ON audit_record(interaction, received_us);
                CREATE INDEX audit_status ON audit_record(status, received_us);
                CREATE INDEX audit_outcome ON audit_record(outcome, received_us);
                CREATE INDEX audit_user ON audit_record(user_id, received_us);
                CREATE INDEX audit_resource ON audit_record(resource_type, resource_id);
                CREATE TABLE audit_chain_anchor (
                    node TEXT PRIMARY KEY NOT NULL, after_node_seq INTEGER NOT NULL, hash TEXT NOT NULL,
                    pruned_at_us INTEGER NOT NULL, pruned_by TEXT NOT NULL);
                CREATE TABLE audit_prune_gate (id INTEGER PRIMARY KEY CHECK (id = 1), open INTEGER NOT NULL);
                INSERT INTO audit_prune_gate (id, open) VALUES (1, 0);
                CREATE TABLE audit_heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at_us INTEGER NOT NULL);
                INSERT INTO audit_heartbeat (id, at_us) VALUES (1, 0);
                CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record
                    WHEN (SELECT open FROM audit_prune_gate WHERE id = 1) = 0
                    BEGIN SELECT RAISE(ABORT, 'audit records are append-only; use switchboard audit prune'); END;
                """)
        }
        migrator.registerMigration("v2 filter indexes skip open rows") { db in
            // An exchange's open row is superseded within milliseconds; indexing it for every
            // filter doubled the index writes of each exchange. Filters find exchanges by their
            // complete (or interrupted) row; the time and exchange indexes still hold every row.
            for (name, columns) in AuditSQL.filterIndexes {
                try db.execute(sql: "DROP INDEX IF EXISTS \(name); CREATE INDEX \(name) ON audit_record(\(columns)) WHERE kind <> 'open'")
            }
        }
        migrator.registerMigration("v3 signed checkpoints") { db in
            try db.execute(sql: """
                CREATE TABLE audit_checkpoint (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, node TEXT NOT NULL, node_seq INTEGER NOT NULL, hash TEXT NOT NULL,
                    signed_at TEXT NOT NULL, key TEXT NOT NULL, signature TEXT NOT NULL, next_key TEXT, next_signature TEXT);
                CREATE INDEX audit_checkpoint_node ON audit_checkpoint(node, id);
                CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
                CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'audit checkpoints are append-only'); END;
                """)
        }
        migrator.registerMigration("v4 NHS number look-ups") { db in
            try db.execute(sql: """
                ALTER TABLE audit_record ADD COLUMN nhs_number_hmac TEXT;
                CREATE INDEX \(AuditSQL.nhsNumberIndex.0) ON audit_record(\(AuditSQL.nhsNumberIndex.1)) WHERE kind <> 'open';
                """)
        }
        return migrator
    }

    // MARK: Writing

    public func append(_ entries: [AuditEntry], node: String) async throws {
        guard !entries.isEmpty else { return }
        try checkFile()
        // A batch of open rows only (exchanges about to be forwarded) is written but not synced:
        // it survives a process crash, and the next batch that completes an exchange syncs the
        // log up to and including it, before that exchange's response is released. Every
        // completion is therefore durable, and so is the opening of every exchange that anyone
        // got an answer to.
        let relaxed = synchronous == .full && entries.allSatisfy { $0.kind == .open }
        try await writingWithoutTransaction { db in
            if relaxed { try db.cachedStatement(sql: "PRAGMA synchronous = NORMAL").execute() }
            do {
                try db.inTransaction(.immediate) {
                    try Self.insert(entries, node: node, db)
                    return .commit
                }
            } catch {
                if relaxed { try? db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
                throw error
            }
            // Should this fail, the writer fails closed and reopens its connections at FULL.
            if relaxed { try db.cachedStatement(sql: "PRAGMA synchronous = FULL").execute() }
        }
    }

    private static func insert(_ entries: [AuditEntry], node: String, _ db: Database) throws {
        let rows = AuditChainRow.chain(entries, node: node, after: try Self.head(db, node: node))
        let binder = RowBinder(try db.cachedStatement(sql: insertSQL).sqliteStatement)
        for row in rows { try insert(row, binder, db) }
    }

    /// Inserts one chain row as it stands (its sequence and hashes already made).
    private static func insert(_ row: AuditChainRow, _ binder: RowBinder, _ db: Database) throws {
        try binder.bind(1, .text(row.node), db)
        try binder.bind(2, .integer(row.sequence), db)
        try binder.bind(3, .text(row.previous), db)
        for (offset, value) in row.content.enumerated() { try binder.bind(Int32(4 + offset), value, db) }
        try binder.bind(Int32(4 + row.content.count), .text(row.hash), db)
        try binder.insert(db)
    }

    private static let insertSQL: String = {
        let columns = AuditRowCoding.insertColumns
        return "INSERT INTO audit_record (\(columns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }()

    /// The last sequence number and hash of `node`'s chain (or its anchor, or genesis).
    static func head(_ db: Database, node: String) throws -> (Int64, String) {
        if let row = try Row.fetchOne(db, sql: "SELECT node_seq, hash FROM audit_record WHERE node = ? ORDER BY node_seq DESC LIMIT 1", arguments: [node]) {
            return (row[0], row[1])
        }
        if let row = try Row.fetchOne(db, sql: "SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = ?", arguments: [node]) {
            return (row[0], row[1])
        }
        return (0, AuditRowCoding.genesis)
    }

    /// A database file that was removed or replaced while open would swallow writes unseen.
    private func checkFile() throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AuditStoreError.fileMissing(path)
        }
    }

    public func probe() async throws {
        try checkFile()
        let now = Date().unixMicroseconds
        try await writing { db in
            try db.execute(sql: "UPDATE audit_heartbeat SET at_us = ? WHERE id = 1", arguments: [now])
        }
    }

    public func interruptOpenExchanges(node: String, at date: Date) async throws -> Int {
        let entries = AuditEntry.interruptions(of: try await openExchanges(node: node), at: date)
        guard !entries.isEmpty else { return 0 }
        try await append(entries, node: node)
        return entries.count
    }

    public func openExchanges(node: String) async throws -> [ExchangeRecord] {
        try await reading { db in
            try Row.fetchAll(db, sql: """
                SELECT \(AuditRowCoding.contentColumns.joined(separator: ", ")) FROM audit_record r
                WHERE r.node = ? AND r.kind = 'open'
                  AND NOT EXISTS (SELECT 1 FROM audit_record later WHERE later.exchange_id = r.exchange_id AND later.seq > r.seq)
                ORDER BY r.seq
                """, arguments: [node]).compactMap { row in
                AuditRowCoding.record(node: node, text: { row[$0] }, integer: { row[$0] })?.1
            }
        }
    }

    // MARK: Chain heads and checkpoints

    public func chainHead(node: String) async throws -> (sequence: Int64, hash: String) {
        try await reading { db in try Self.head(db, node: node) }
    }

    public func chainHashes(node: String, at sequences: [Int64]) async throws -> [Int64: String] {
        try await reading { db in
            var hashes: [Int64: String] = [:]
            let statement = try db.cachedStatement(sql: "SELECT hash FROM audit_record WHERE node = ? AND node_seq = ?")
            for sequence in sequences {
                if let hash = try String.fetchOne(statement, arguments: [node, sequence]) { hashes[sequence] = hash }
            }
            if let anchor = try Row.fetchOne(db, sql: "SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = ?", arguments: [node]),
               sequences.contains(anchor[0]) {
                hashes[anchor[0]] = anchor[1]
            }
            return hashes
        }
    }

    public func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        try checkFile()
        let columns = AuditSQL.checkpointColumns
        let values = AuditSQL.checkpointValues(checkpoint).map(\.databaseValue)
        try await writing { db in
            try db.execute(sql: "INSERT INTO audit_checkpoint (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))",
                           arguments: StatementArguments(values))
        }
    }

    public func checkpoints(node: String?) async throws -> [AuditCheckpoint] {
        try await checkpoints(node.map { ("WHERE node = ? ORDER BY id", [$0]) } ?? ("ORDER BY id", []))
    }

    public func latestCheckpoint(node: String) async throws -> AuditCheckpoint? {
        try await checkpoints(("WHERE node = ? ORDER BY id DESC LIMIT 1", [node])).first
    }

    private func checkpoints(_ suffix: (sql: String, arguments: [String])) async throws -> [AuditCheckpoint] {
        let columns = AuditSQL.checkpointColumns.joined(separator: ", ")
        return try await reading { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM audit_checkpoint \(suffix.sql)", arguments: StatementArguments(suffix.arguments))
                .compactMap { row in AuditSQL.checkpoint(text: { row[$0] }, sequence: row[1]) }
        }
    }

    // MARK: AuditIndex

    public func index(_ rows: [AuditChainRow]) async throws {
        guard !rows.isEmpty else { return }
        try checkFile()
        try await writing { db in
            var heads: [String: (Int64, String)] = [:]
            let binder = RowBinder(try db.cachedStatement(sql: Self.insertSQL).sqliteStatement)
            for row in rows {
                let (sequence, hash) = try heads[row.node] ?? Self.head(db, node: row.node)
                // Rows indexed already (a replay after a restart) are skipped: indexing is idempotent.
                guard row.sequence > sequence else { continue }
                guard row.sequence == sequence + 1, row.previous == hash else {
                    throw JournalError.chain("node \(row.node) row \(row.sequence) follows \(row.previous.prefix(12))…, but the index ends at \(sequence) with \(hash.prefix(12))…")
                }
                try Self.insert(row, binder, db)
                heads[row.node] = (row.sequence, row.hash)
            }
        }
    }

    // MARK: Reading

    /// `WHERE` conditions and arguments for a query; rows are the latest of their exchange.
    static func conditions(_ query: AuditQuery) -> (String, [any DatabaseValueConvertible]) {
        let (conditions, values) = AuditSQL.conditions(query) { _ in "?" }
        return (conditions, values.map(\.databaseValue))
    }

    static let selectColumns = "r.seq, r.node, " + AuditRowCoding.contentColumns.map { "r.\($0)" }.joined(separator: ", ")

    static func decode(_ row: Row) -> (Int64, ExchangeRecord)? {
        let node: String = row[1]
        guard let (_, record) = AuditRowCoding.record(node: node, text: { row[$0 + 2] }, integer: { row[$0 + 2] }) else { return nil }
        return (row[0], record)
    }

    public func exchanges(_ query: AuditQuery) async throws -> AuditPage {
        let (conditions, arguments) = Self.conditions(query)
        let limit = max(1, min(query.limit, 1000))
        let statementArguments = StatementArguments(arguments.map { $0.databaseValue })
        return try await reading { db in
            let rows = try Row.fetchAll(db, sql: "SELECT \(Self.selectColumns) FROM audit_record r WHERE \(conditions) \(AuditSQL.page(query, limit: limit))",
                                        arguments: statementArguments)
            return AuditPage(rows: rows.compactMap(Self.decode), limit: limit)
        }
    }

    public func exchange(id: UUID) async throws -> ExchangeRecord? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.selectColumns) FROM audit_record r WHERE r.exchange_id = ? ORDER BY r.seq DESC LIMIT 1",
                             arguments: [id.uuidString.lowercased()]).flatMap(Self.decode)?.1
        }
    }

    public func reduceExchanges<Result: Sendable>(_ query: AuditQuery, into initial: Result,
                                                  _ update: @escaping @Sendable (inout Result, ExchangeRecord) -> Void) async throws -> Result {
        let (conditions, arguments) = Self.conditions(query)
        let statementArguments = StatementArguments(arguments.map { $0.databaseValue })
        return try await reading { db in
            var result = initial
            let cursor = try Row.fetchCursor(db, sql: "SELECT \(Self.selectColumns) FROM audit_record r WHERE \(conditions) ORDER BY r.seq",
                                             arguments: statementArguments)
            while let row = try cursor.next() {
                if let (_, record) = Self.decode(row) { update(&result, record) }
            }
            return result
        }
    }

    // MARK: Verifying and pruning

    public func verify(node: String?) async throws -> ChainVerification {
        try await reading { db in
            let nodes = try node.map { [$0] } ?? String.fetchAll(db, sql: "SELECT DISTINCT node FROM audit_record UNION SELECT node FROM audit_chain_anchor ORDER BY 1")
            var chains: [ChainVerification.NodeChain] = []
            let columns = ["node_seq", "prev_hash", "hash"] + AuditRowCoding.contentColumns
            for node in nodes {
                let anchor = try Row.fetchOne(db, sql: "SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = ?", arguments: [node])
                var walk = ChainWalk(node: node, anchor: anchor.map { ChainAnchor(afterSequence: $0[0], hash: $0[1]) })
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM audit_record WHERE node = ? ORDER BY node_seq",
                                                 arguments: [node])
                while let row = try cursor.next() {
                    let content: [AuditRowCoding.Value] = AuditRowCoding.contentColumns.indices.map { index in
                        let value = row[index + 3] as DatabaseValue
                        switch value.storage {
                        case .null: return .null
                        case .int64(let number): return .integer(number)
                        case .string(let text): return .text(text)
                        case .double(let number): return .text("\(number)")
                        case .blob(let data): return .text(String(decoding: data, as: UTF8.self))
                        }
                    }
                    walk.visit(sequence: row[0], storedPrevious: row[1], storedHash: row[2], content: content)
                }
                let chain = walk.chain
                chains.append(chain)
            }
            return ChainVerification(chains: chains)
        }
    }

    public func prune(before cutoff: Date, actor: String) async throws -> PruneResult {
        let cutoffMicroseconds = cutoff.unixMicroseconds
        let now = Date().unixMicroseconds
        return try await writing { db in
            var anchors: [String: ChainAnchor] = [:]
            let nodes = try String.fetchAll(db, sql: "SELECT DISTINCT node FROM audit_record")
            var removed = 0
            try db.execute(sql: "UPDATE audit_prune_gate SET open = 1 WHERE id = 1")
            for node in nodes {
                // Cut each chain just before its first row received at or after the cutoff: every
                // row removed is older than the cutoff, and the chain stays one unbroken run.
                let firstKept = try Int64.fetchOne(db, sql: "SELECT MIN(node_seq) FROM audit_record WHERE node = ? AND received_us >= ?",
                                                   arguments: [node, cutoffMicroseconds])
                let cutSQL = firstKept == nil
                    ? "SELECT node_seq, hash FROM audit_record WHERE node = ? ORDER BY node_seq DESC LIMIT 1"
                    : "SELECT node_seq, hash FROM audit_record WHERE node = ? AND node_seq < ? ORDER BY node_seq DESC LIMIT 1"
                let cutArguments: StatementArguments = firstKept.map { [node, $0] } ?? [node]
                guard let last = try Row.fetchOne(db, sql: cutSQL, arguments: cutArguments) else { continue }
                let sequence: Int64 = last[0]
                let hash: String = last[1]
                try db.execute(sql: "DELETE FROM audit_record WHERE node = ? AND node_seq <= ?", arguments: [node, sequence])
                removed += db.changesCount
                try db.execute(sql: """
                    INSERT INTO audit_chain_anchor (node, after_node_seq, hash, pruned_at_us, pruned_by) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(node) DO UPDATE SET after_node_seq = excluded.after_node_seq, hash = excluded.hash,
                        pruned_at_us = excluded.pruned_at_us, pruned_by = excluded.pruned_by
                    """, arguments: [node, sequence, hash, now, actor])
                anchors[node] = ChainAnchor(afterSequence: sequence, hash: hash)
            }
            try db.execute(sql: "UPDATE audit_prune_gate SET open = 0 WHERE id = 1")
            return PruneResult(removed: removed, anchors: anchors)
        }
    }

    /// The journal mode and `synchronous` level in force.
    public func durabilityReport() throws -> (journalMode: String, writerSynchronous: Int, readerSynchronous: Int) {
        try SQLiteDatabase.durabilityReport(pool)
    }
}

extension AuditRowCoding.Value {
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .integer(let value): value.databaseValue
        case .null: .null
        }
    }
}

/// Binds and runs the cached insert statement through SQLite's own interface: the audit writer
/// inserts every row of every exchange, and building GRDB's argument values cost more than the
/// insert itself.
private struct RowBinder {
    let handle: OpaquePointer
    /// SQLite copies the bytes before the bind call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ handle: OpaquePointer) {
        self.handle = handle
    }

    func bind(_ index: Int32, _ value: AuditRowCoding.Value, _ db: Database) throws {
        let code: Int32
        switch value {
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .integer(let integer):
            code = sqlite3_bind_int64(handle, index, integer)
        case .text(var text):
            code = text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, !bytes.isEmpty else { return sqlite3_bind_text(handle, index, "", 0, Self.transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { pointer in
                    sqlite3_bind_text(handle, index, pointer, Int32(bytes.count), Self.transient)
                }
            }
        }
        guard code == SQLITE_OK else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Steps the statement once and resets it for the next row.
    func insert(_ db: Database) throws {
        let code = sqlite3_step(handle)
        sqlite3_reset(handle)
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
}
