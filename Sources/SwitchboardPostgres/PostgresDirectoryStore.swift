public import SwitchboardStorage
import Foundation
public import Logging
import PostgresNIO
public import SwitchboardDirectory

/// The directory in PostgreSQL, shared by every node: the same tables, generation counter and
/// append-only history as the SQLite store, and a `NOTIFY switchboard_directory` with the new
/// generation in every commit, so the other nodes reload at once.
public final class PostgresDirectoryStore: DirectoryStore, DirectoryChangeFeed {
    let database: PostgresDatabase
    static let channel = "switchboard_directory"

    public init(location: PostgresLocation, logger: Logger) async throws {
        database = try PostgresDatabase(location: location, logger: logger)
        try await database.migrate("directory", Self.migrations)
    }

    /// Stops the connection pool.
    public func close() { database.close() }

    static let migrations: [(name: String, sql: [String])] = [
        ("v1 directory", [
            """
            CREATE TABLE organisation (
                ods TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL)
            """,
            """
            CREATE TABLE accredited_system (
                asid TEXT PRIMARY KEY, ods TEXT NOT NULL, party_key TEXT NOT NULL, name TEXT NOT NULL, supplier TEXT,
                certificate_fqdn TEXT, sends TEXT NOT NULL, receives TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL)
            """,
            "CREATE INDEX accredited_system_ods ON accredited_system(ods)",
            "CREATE INDEX accredited_system_party_key ON accredited_system(party_key)",
            """
            CREATE TABLE endpoint (
                cpa_id TEXT PRIMARY KEY, party_key TEXT NOT NULL, ods TEXT NOT NULL, address TEXT NOT NULL, fqdn TEXT NOT NULL,
                interactions TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL)
            """,
            "CREATE INDEX endpoint_party_key ON endpoint(party_key)",
            "CREATE INDEX endpoint_ods ON endpoint(ods)",
            """
            CREATE TABLE interaction (
                urn TEXT PRIMARY KEY, name TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL, scope TEXT NOT NULL,
                status TEXT NOT NULL, version BIGINT NOT NULL)
            """,
            """
            CREATE TABLE sharing_agreement (
                id TEXT PRIMARY KEY, description TEXT NOT NULL, consumer TEXT NOT NULL, provider TEXT NOT NULL,
                interactions TEXT NOT NULL, status TEXT NOT NULL, version BIGINT NOT NULL)
            """,
            "CREATE TABLE directory_state (id INTEGER PRIMARY KEY CHECK (id = 1), generation BIGINT NOT NULL)",
            "INSERT INTO directory_state (id, generation) VALUES (1, 0)",
            """
            CREATE TABLE directory_change (
                sequence BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, generation BIGINT NOT NULL, at TIMESTAMPTZ NOT NULL,
                actor TEXT NOT NULL, source TEXT NOT NULL, reason TEXT, kind TEXT NOT NULL, entry_key TEXT NOT NULL,
                action TEXT NOT NULL, before TEXT, after TEXT)
            """,
            "CREATE INDEX directory_change_entry ON directory_change(kind, entry_key, sequence)",
            """
            CREATE FUNCTION directory_change_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'directory history is append-only'; END $$
            """,
            """
            CREATE TRIGGER directory_change_append_only BEFORE UPDATE OR DELETE ON directory_change
                FOR EACH ROW EXECUTE FUNCTION directory_change_append_only()
            """,
        ]),
    ]

    public func load() async throws -> StoredDirectory {
        try await database.transaction { connection in
            // One snapshot of every table and the generation together.
            try await connection.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY", logger: database.logger)
            var generation: Int64 = 0
            for try await value in try await connection.query("SELECT generation FROM directory_state WHERE id = 1", logger: database.logger)
                .decode(Int64.self) {
                generation = value
            }
            var tables = DirectoryTables()
            var decoder = DirectoryRowCoding.Decoder()
            for kind in EntityKind.allCases {
                let (table, columns) = DirectoryRowCoding.table(for: kind)
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(columns.joined(separator: ", ")) FROM \(table)"), logger: database.logger)
                for try await row in rows {
                    let cells = row.makeRandomAccess()
                    tables.put(try decoder.entry(kind, text: { try? cells[$0].text() }, integer: { Int((try? cells[$0].integer()) ?? 0) }))
                }
            }
            return StoredDirectory(tables: tables, generation: generation)
        }
    }

    public func generation() async throws -> Int64 {
        var generation: Int64 = 0
        for try await value in try await database.client.query("SELECT generation FROM directory_state WHERE id = 1", logger: database.logger).decode(Int64.self) {
            generation = value
        }
        return generation
    }

    public func commit(_ changes: [EntryChange], expectedGeneration: Int64, author: ChangeAuthor) async throws -> Int64 {
        let history = try changes.map { change in
            (change, try change.before.map { String(decoding: try $0.jsonData(), as: UTF8.self) },
             try change.after.map { String(decoding: try $0.jsonData(), as: UTF8.self) })
        }
        let logger = database.logger
        return try await database.transaction { connection in
            var moved: Int64?
            for try await (current) in try await connection.query("""
                UPDATE directory_state SET generation = generation + 1 WHERE id = 1 RETURNING generation - 1
                """, logger: logger).decode(Int64.self) {
                moved = current
            }
            // The row lock taken by the UPDATE serialises committers; a stale base is refused.
            guard let previous = moved, previous == expectedGeneration else {
                throw DirectoryStoreError.generationMoved(expected: expectedGeneration, actual: moved ?? -1)
            }
            let generation = expectedGeneration + 1
            for (change, before, after) in history {
                let (table, columns) = DirectoryRowCoding.table(for: change.ref.kind)
                if let entry = change.after {
                    var binds = PostgresBindings(capacity: columns.count)
                    for value in DirectoryRowCoding.values(of: entry) { binds.append(value) }
                    let placeholders = (1...columns.count).map { "$\($0)" }.joined(separator: ", ")
                    let updates = columns.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
                    try await connection.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))
                        ON CONFLICT (\(columns[0])) DO UPDATE SET \(updates)
                        """, binds: binds), logger: logger)
                } else {
                    try await connection.query(PostgresQuery(unsafeSQL: "DELETE FROM \(table) WHERE \(columns[0]) = $1",
                                                              binds: Self.bindings([change.ref.key])), logger: logger)
                }
                try await connection.query("""
                    INSERT INTO directory_change (generation, at, actor, source, reason, kind, entry_key, action, before, after)
                    VALUES (\(generation), now(), \(author.actor), \(author.source.rawValue), \(author.reason), \(change.ref.kind.rawValue),
                            \(change.ref.key), \(change.action.rawValue), \(before), \(after))
                    """, logger: logger)
            }
            // Delivered to every listener when (and only if) the transaction commits.
            try await connection.query("SELECT pg_notify(\(Self.channel), \(String(generation)))", logger: logger)
            return generation
        }
    }

    public func history(_ query: HistoryQuery) async throws -> [HistoryRecord] {
        var conditions: [String] = []
        var values: [String?] = []
        func add(_ condition: String, _ value: String) {
            values.append(value)
            conditions.append(condition.replacingOccurrences(of: "?", with: "$\(values.count)"))
        }
        if let entry = query.entry {
            add("kind = ?", entry.kind.rawValue)
            add("entry_key = ?", entry.key)
        } else if let kind = query.kind {
            add("kind = ?", kind.rawValue)
        }
        if let key = query.key { add("entry_key = ?", key) }
        if let before = query.beforeSequence { add("sequence < ?::bigint", String(before)) }
        if let since = query.since { add("at >= ?::timestamptz", since.formatted(.iso8601)) }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        values.append(String(max(1, min(query.limit, 10_000))))
        let sql = """
            SELECT sequence, generation, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), actor, source, reason, kind,
                   entry_key, action, before, after
            FROM directory_change \(whereClause) ORDER BY sequence DESC LIMIT $\(values.count)::bigint
            """
        var records: [HistoryRecord] = []
        for try await row in try await database.client.query(PostgresQuery(unsafeSQL: sql, binds: Self.bindings(values)), logger: database.logger) {
            let cells = row.makeRandomAccess()
            guard let sequence = try cells[0].integer(), let kind = try cells[6].text().flatMap(EntityKind.init(rawValue:)),
                  let action = try cells[8].text().flatMap(EntryChange.Action.init(rawValue:)),
                  let source = try cells[4].text().flatMap(ChangeAuthor.Source.init(rawValue:)) else {
                throw DirectoryStoreError.corruptRow(table: "directory_change", key: "?", reason: "bad sequence, kind, action or source")
            }
            func entry(_ index: Int) throws -> DirectoryEntry? {
                try cells[index].text().map { try DirectoryEntry.decode(kind, from: Data($0.utf8)) }
            }
            let at = (try cells[2].text()).flatMap { try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) } ?? .distantPast
            records.append(HistoryRecord(
                sequence: sequence, generation: try cells[1].integer() ?? 0, at: at,
                author: ChangeAuthor(actor: try cells[3].text() ?? "", source: source, reason: try cells[5].text()),
                action: action, ref: EntityRef(kind, try cells[7].text() ?? ""), before: try entry(9), after: try entry(10)))
        }
        return records
    }

    public func listenForCommits(_ changed: @escaping @Sendable (Int64) async -> Void) async throws {
        try await database.client.withConnection { connection in
            try await connection.listen(on: Self.channel) { notifications in
                for try await notification in notifications {
                    if let generation = Int64(notification.payload) { await changed(generation) }
                }
            }
        }
    }

    static func bindings(_ values: [String?]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: values.count)
        for value in values {
            if let value { binds.append(value) } else { binds.appendNull() }
        }
        return binds
    }
}

extension PostgresBindings {
    mutating func append(_ value: DirectoryRowCoding.Value) {
        switch value {
        case .text(let text): append(text)
        case .integer(let number): append(Int64(number))
        case .null: appendNull()
        }
    }
}
