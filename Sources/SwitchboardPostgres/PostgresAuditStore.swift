public import SwitchboardStorage
public import Foundation
public import Logging
import PostgresNIO
import SwitchboardCore
public import SwitchboardAudit

/// The audit log in PostgreSQL, shared by every node: the same rows, one hash chain per node and
/// the same rules as the SQLite store. A commit returns once PostgreSQL has flushed it
/// (`synchronous_commit` on, its default); a batch of open rows only is committed with
/// `synchronous_commit = off`, as it is made durable by the next batch that completes an exchange
/// before that exchange's answer is released (PostgreSQL flushes its WAL in order).
public final class PostgresAuditStore: AuditStore {
    let database: PostgresDatabase

    public init(location: PostgresLocation, logger: Logger) async throws {
        database = try PostgresDatabase(location: location, logger: logger)
        try await database.migrate("audit", Self.migrations)
    }

    /// Stops the connection pool.
    public func close() { database.close() }

    static let integerColumns: Set<String> = ["received_us", "completed_us", "duration_us", "upstream_us", "status", "bytes_in", "bytes_out"]

    static let migrations: [(name: String, sql: [String])] = {
        let content = AuditRowCoding.firstContentColumns.map { "\($0) \(integerColumns.contains($0) ? "BIGINT" : "TEXT")" }.joined(separator: ", ")
        return [
            ("v1 audit", [
                """
                CREATE TABLE audit_record (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node TEXT NOT NULL, node_seq BIGINT NOT NULL,
                    prev_hash TEXT NOT NULL, \(content), hash TEXT NOT NULL, UNIQUE (node, node_seq))
                """,
                "CREATE INDEX audit_exchange ON audit_record(exchange_id, seq)",
                "CREATE INDEX audit_received ON audit_record(received_us)",
            ] + AuditSQL.filterIndexes.map { "CREATE INDEX \($0.0) ON audit_record(\($0.1)) WHERE kind <> 'open'" } + [
                """
                CREATE TABLE audit_chain_anchor (
                    node TEXT PRIMARY KEY, after_node_seq BIGINT NOT NULL, hash TEXT NOT NULL, pruned_at_us BIGINT NOT NULL, pruned_by TEXT NOT NULL)
                """,
                "CREATE TABLE audit_heartbeat (node TEXT PRIMARY KEY, at_us BIGINT NOT NULL)",
                """
                CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF TG_OP = 'DELETE' AND current_setting('switchboard.audit_prune', true) = 'on' THEN RETURN OLD; END IF;
                    RAISE EXCEPTION 'audit records are append-only; use switchboard audit prune';
                END $$
                """,
                """
                CREATE TRIGGER audit_record_append_only BEFORE UPDATE OR DELETE ON audit_record
                    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only()
                """,
            ]),
            ("v2 signed checkpoints", [
                """
                CREATE TABLE audit_checkpoint (
                    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, node TEXT NOT NULL, node_seq BIGINT NOT NULL, hash TEXT NOT NULL,
                    signed_at TEXT NOT NULL, key TEXT NOT NULL, signature TEXT NOT NULL, next_key TEXT, next_signature TEXT)
                """,
                "CREATE INDEX audit_checkpoint_node ON audit_checkpoint(node, id)",
                """
                CREATE FUNCTION audit_checkpoint_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'audit checkpoints are append-only'; END $$
                """,
                """
                CREATE TRIGGER audit_checkpoint_append_only BEFORE UPDATE OR DELETE ON audit_checkpoint
                    FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_append_only()
                """,
            ]),
            ("v3 NHS number look-ups", [
                "ALTER TABLE audit_record ADD COLUMN nhs_number_hmac TEXT",
                "CREATE INDEX \(AuditSQL.nhsNumberIndex.0) ON audit_record(\(AuditSQL.nhsNumberIndex.1)) WHERE kind <> 'open'",
            ]),
        ]
    }()

    // MARK: Writing

    /// Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters in one).
    static let rowsPerStatement = 1_000

    public func append(_ entries: [AuditEntry], node: String) async throws {
        guard !entries.isEmpty else { return }
        let logger = database.logger
        let relaxed = entries.allSatisfy { $0.kind == .open }
        let columns = AuditRowCoding.insertColumns
        try await database.transaction { connection in
            if relaxed { try await connection.query("SET LOCAL synchronous_commit = off", logger: logger) }
            let rows = AuditChainRow.chain(entries, node: node, after: try await Self.head(connection, node: node, logger: logger))
            var start = rows.startIndex
            while start < rows.endIndex {
                let end = min(start + Self.rowsPerStatement, rows.endIndex)
                var binds = PostgresBindings(capacity: (end - start) * columns.count)
                var tuples: [String] = []
                tuples.reserveCapacity(end - start)
                for row in rows[start..<end] {
                    let first = binds.count
                    binds.append(row.node)
                    binds.append(row.sequence)
                    binds.append(row.previous)
                    for value in row.content { binds.append(value) }
                    binds.append(row.hash)
                    tuples.append("(" + (1...columns.count).map { "$\(first + $0)" }.joined(separator: ",") + ")")
                }
                try await connection.query(PostgresQuery(unsafeSQL: "INSERT INTO audit_record (\(columns.joined(separator: ", "))) VALUES \(tuples.joined(separator: ","))",
                                                          binds: binds), logger: logger)
                start = end
            }
        }
    }

    /// The last sequence number and hash of `node`'s chain (or its anchor, or genesis).
    static func head(_ connection: PostgresConnection, node: String, logger: Logger) async throws -> (Int64, String) {
        for try await (sequence, hash) in try await connection.query(
            "SELECT node_seq, hash FROM audit_record WHERE node = \(node) ORDER BY node_seq DESC LIMIT 1", logger: logger).decode((Int64, String).self) {
            return (sequence, hash)
        }
        for try await (sequence, hash) in try await connection.query(
            "SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = \(node)", logger: logger).decode((Int64, String).self) {
            return (sequence, hash)
        }
        return (0, AuditRowCoding.genesis)
    }

    public func probe() async throws {
        let now = Date().unixMicroseconds
        try await database.client.query("""
            INSERT INTO audit_heartbeat (node, at_us) VALUES ('probe', \(now)) ON CONFLICT (node) DO UPDATE SET at_us = EXCLUDED.at_us
            """, logger: database.logger)
    }

    /// The pool replaces broken connections itself; nothing is cached above it.
    public func reopen() async throws {}

    public func storedEntries(_ entries: [AuditEntry], node: String) async throws -> [Bool] {
        var stored: [Bool] = []
        for entry in entries {
            var found = false
            for try await _ in try await database.client.query("""
                SELECT 1 FROM audit_record WHERE exchange_id = \(entry.record.id.uuidString.lowercased()) AND kind = \(entry.kind.rawValue)
                  AND node = \(node) LIMIT 1
                """, logger: database.logger) {
                found = true
            }
            stored.append(found)
        }
        return stored
    }

    public func interruptOpenExchanges(node: String, at date: Date) async throws -> Int {
        let sql = """
            SELECT \(AuditRowCoding.contentColumns.joined(separator: ", ")) FROM audit_record r
            WHERE r.node = $1 AND r.kind = 'open'
              AND NOT EXISTS (SELECT 1 FROM audit_record later WHERE later.exchange_id = r.exchange_id AND later.seq > r.seq)
            ORDER BY r.seq
            """
        var binds = PostgresBindings()
        binds.append(node)
        var entries: [AuditEntry] = []
        for try await row in try await database.client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: database.logger) {
            guard var record = Self.record(row, node: node, offset: 0)?.1 else { continue }
            record.outcome = .interrupted
            record.completedAt = date
            entries.append(AuditEntry(kind: .interrupted, record: record))
        }
        guard !entries.isEmpty else { return 0 }
        try await append(entries, node: node)
        return entries.count
    }

    // MARK: Reading

    static let selectColumns = "r.seq, r.node, " + AuditRowCoding.contentColumns.map { "r.\($0)" }.joined(separator: ", ")

    static func record(_ row: PostgresRow, node: String, offset: Int) -> (AuditEntry.Kind, ExchangeRecord)? {
        let cells = row.makeRandomAccess()
        return AuditRowCoding.record(node: node, text: { try? cells[$0 + offset].text() }, integer: { try? cells[$0 + offset].integer() })
    }

    static func query(_ conditions: String, _ values: [AuditRowCoding.Value], suffix: String) -> PostgresQuery {
        var binds = PostgresBindings(capacity: values.count)
        for value in values { binds.append(value) }
        return PostgresQuery(unsafeSQL: "SELECT \(selectColumns) FROM audit_record r WHERE \(conditions) \(suffix)", binds: binds)
    }

    public func exchanges(_ query: AuditQuery) async throws -> AuditPage {
        let (conditions, values) = AuditSQL.conditions(query) { "$\($0)" }
        let limit = max(1, min(query.limit, 1000))
        var decoded: [(Int64, ExchangeRecord)] = []
        let statement = Self.query(conditions, values, suffix: AuditSQL.page(query, limit: limit))
        for try await row in try await database.client.query(statement, logger: database.logger) {
            let cells = row.makeRandomAccess()
            guard let seq = try cells[0].integer(), let node = try cells[1].text(), let (_, record) = Self.record(row, node: node, offset: 2) else { continue }
            decoded.append((seq, record))
        }
        return AuditPage(rows: decoded, limit: limit)
    }

    public func exchange(id: UUID) async throws -> ExchangeRecord? {
        var binds = PostgresBindings()
        binds.append(id.uuidString.lowercased())
        let statement = PostgresQuery(unsafeSQL: "SELECT \(Self.selectColumns) FROM audit_record r WHERE r.exchange_id = $1 ORDER BY r.seq DESC LIMIT 1", binds: binds)
        for try await row in try await database.client.query(statement, logger: database.logger) {
            guard let node = try row.makeRandomAccess()[1].text() else { return nil }
            return Self.record(row, node: node, offset: 2)?.1
        }
        return nil
    }

    public func reduceExchanges<Result: Sendable>(_ query: AuditQuery, into initial: Result,
                                                  _ update: @escaping @Sendable (inout Result, ExchangeRecord) -> Void) async throws -> Result {
        let (conditions, values) = AuditSQL.conditions(query) { "$\($0)" }
        var result = initial
        // Rows stream from the server as they are read; none are held beyond the one in hand.
        for try await row in try await database.client.query(Self.query(conditions, values, suffix: "ORDER BY r.seq"), logger: database.logger) {
            guard let node = try row.makeRandomAccess()[1].text(), let (_, record) = Self.record(row, node: node, offset: 2) else { continue }
            update(&result, record)
        }
        return result
    }

    // MARK: Chain heads and checkpoints

    public func chainHead(node: String) async throws -> (sequence: Int64, hash: String) {
        let logger = database.logger
        return try await database.client.withConnection { connection in try await Self.head(connection, node: node, logger: logger) }
    }

    public func chainHashes(node: String, at sequences: [Int64]) async throws -> [Int64: String] {
        var hashes: [Int64: String] = [:]
        let rows = try await database.client.query("SELECT node_seq, hash FROM audit_record WHERE node = \(node) AND node_seq = ANY(\(sequences))",
                                                   logger: database.logger)
        for try await (sequence, hash) in rows.decode((Int64, String).self) { hashes[sequence] = hash }
        let anchors = try await database.client.query("SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = \(node)", logger: database.logger)
        for try await (sequence, hash) in anchors.decode((Int64, String).self) where sequences.contains(sequence) { hashes[sequence] = hash }
        return hashes
    }

    public func appendCheckpoint(_ checkpoint: AuditCheckpoint) async throws {
        var binds = PostgresBindings()
        for value in AuditSQL.checkpointValues(checkpoint) { binds.append(value) }
        let columns = AuditSQL.checkpointColumns
        try await database.client.query(PostgresQuery(unsafeSQL: "INSERT INTO audit_checkpoint (\(columns.joined(separator: ", "))) VALUES (\((1...columns.count).map { "$\($0)" }.joined(separator: ", ")))",
                                                      binds: binds), logger: database.logger)
    }

    public func checkpoints(node: String?) async throws -> [AuditCheckpoint] {
        try await checkpoints(node: node, suffix: "ORDER BY id")
    }

    public func latestCheckpoint(node: String) async throws -> AuditCheckpoint? {
        try await checkpoints(node: node, suffix: "ORDER BY id DESC LIMIT 1").first
    }

    private func checkpoints(node: String?, suffix: String) async throws -> [AuditCheckpoint] {
        var binds = PostgresBindings()
        if let node { binds.append(node) }
        let rows = try await database.client.query(PostgresQuery(
            unsafeSQL: "SELECT \(AuditSQL.checkpointColumns.joined(separator: ", ")) FROM audit_checkpoint \(node == nil ? "" : "WHERE node = $1") \(suffix)",
            binds: binds), logger: database.logger)
        var checkpoints: [AuditCheckpoint] = []
        for try await row in rows {
            let cells = row.makeRandomAccess()
            let texts = try (0..<AuditSQL.checkpointColumns.count).map { $0 == 1 ? nil : try cells[$0].text() }
            if let checkpoint = AuditSQL.checkpoint(text: { texts[$0] }, sequence: try cells[1].integer() ?? -1) { checkpoints.append(checkpoint) }
        }
        return checkpoints
    }

    // MARK: Verifying and pruning

    public func verify(node: String?) async throws -> ChainVerification {
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: logger)
            var nodes: [String] = []
            if let node {
                nodes = [node]
            } else {
                for try await name in try await connection.query(
                    "SELECT node FROM audit_record GROUP BY node UNION SELECT node FROM audit_chain_anchor ORDER BY 1", logger: logger).decode(String.self) {
                    nodes.append(name)
                }
            }
            var chains: [ChainVerification.NodeChain] = []
            let columns = ["node_seq", "prev_hash", "hash"] + AuditRowCoding.contentColumns
            for node in nodes {
                var anchor: ChainAnchor?
                for try await (sequence, hash) in try await connection.query(
                    "SELECT after_node_seq, hash FROM audit_chain_anchor WHERE node = \(node)", logger: logger).decode((Int64, String).self) {
                    anchor = ChainAnchor(afterSequence: sequence, hash: hash)
                }
                var walk = ChainWalk(node: node, anchor: anchor)
                var binds = PostgresBindings()
                binds.append(node)
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(columns.joined(separator: ", ")) FROM audit_record WHERE node = $1 ORDER BY node_seq",
                                                                    binds: binds), logger: logger)
                for try await row in rows {
                    let cells = row.makeRandomAccess()
                    let content: [AuditRowCoding.Value] = try AuditRowCoding.contentColumns.enumerated().map { index, column in
                        let cell = cells[index + 3]
                        if cell.bytes == nil { return .null }
                        return Self.integerColumns.contains(column) ? .integer(try cell.decode(Int64.self)) : .text(try cell.decode(String.self))
                    }
                    walk.visit(sequence: try cells[0].integer() ?? -1, storedPrevious: try cells[1].text() ?? "", storedHash: try cells[2].text() ?? "",
                               content: content)
                }
                chains.append(walk.chain)
            }
            return ChainVerification(chains: chains)
        }
    }

    public func prune(before cutoff: Date, actor: String) async throws -> PruneResult {
        let cutoffMicroseconds = cutoff.unixMicroseconds
        let now = Date().unixMicroseconds
        let logger = database.logger
        return try await database.transaction { connection in
            try await connection.query("SET LOCAL switchboard.audit_prune = 'on'", logger: logger)
            var nodes: [String] = []
            for try await name in try await connection.query("SELECT DISTINCT node FROM audit_record", logger: logger).decode(String.self) {
                nodes.append(name)
            }
            var anchors: [String: ChainAnchor] = [:]
            var removed = 0
            for node in nodes {
                // Cut each chain just before its first row received at or after the cutoff.
                var cut: (Int64, String)?
                for try await (sequence, hash) in try await connection.query("""
                    SELECT node_seq, hash FROM audit_record
                    WHERE node = \(node) AND node_seq < COALESCE(
                        (SELECT MIN(node_seq) FROM audit_record WHERE node = \(node) AND received_us >= \(cutoffMicroseconds)), 9223372036854775807)
                    ORDER BY node_seq DESC LIMIT 1
                    """, logger: logger).decode((Int64, String).self) {
                    cut = (sequence, hash)
                }
                guard let (sequence, hash) = cut else { continue }
                for try await count in try await connection.query("""
                    WITH gone AS (DELETE FROM audit_record WHERE node = \(node) AND node_seq <= \(sequence) RETURNING 1) SELECT count(*) FROM gone
                    """, logger: logger).decode(Int64.self) {
                    removed += Int(count)
                }
                try await connection.query("""
                    INSERT INTO audit_chain_anchor (node, after_node_seq, hash, pruned_at_us, pruned_by) VALUES (\(node), \(sequence), \(hash), \(now), \(actor))
                    ON CONFLICT (node) DO UPDATE SET after_node_seq = EXCLUDED.after_node_seq, hash = EXCLUDED.hash,
                        pruned_at_us = EXCLUDED.pruned_at_us, pruned_by = EXCLUDED.pruned_by
                    """, logger: logger)
                anchors[node] = ChainAnchor(afterSequence: sequence, hash: hash)
            }
            return PruneResult(removed: removed, anchors: anchors)
        }
    }
}

extension PostgresBindings {
    mutating func append(_ value: AuditRowCoding.Value) {
        switch value {
        case .text(let text): append(text)
        case .integer(let number): append(number)
        case .null: appendNull()
        }
    }
}
