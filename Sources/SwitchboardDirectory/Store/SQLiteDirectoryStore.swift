import Foundation
import GRDB
import SwitchboardCore
public import SwitchboardStorage

/// The embedded directory store: one SQLite file (WAL, `synchronous=FULL` by default) holding the
/// entries, the generation counter and the change history. History rows cannot be updated or
/// deleted (triggers refuse it).
public final class SQLiteDirectoryStore: DirectoryStore {
    private let pool: DatabasePool
    public let path: String

    public init(path: String, synchronous: SQLiteSynchronous = .full) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pool = try SQLiteDatabase.openPool(path: path, synchronous: synchronous, label: "switchboard.directory")
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 directory") { db in
            try db.execute(sql: """
                CREATE TABLE organisation (
                    ods TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
                    status TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE accredited_system (
                    asid TEXT PRIMARY KEY NOT NULL, ods TEXT NOT NULL, party_key TEXT NOT NULL, name TEXT NOT NULL,
                    supplier TEXT, certificate_fqdn TEXT, sends TEXT NOT NULL, receives TEXT NOT NULL,
                    status TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE INDEX accredited_system_ods ON accredited_system(ods);
                CREATE INDEX accredited_system_party_key ON accredited_system(party_key);
                CREATE TABLE endpoint (
                    cpa_id TEXT PRIMARY KEY NOT NULL, party_key TEXT NOT NULL, ods TEXT NOT NULL, address TEXT NOT NULL,
                    fqdn TEXT NOT NULL, interactions TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE INDEX endpoint_party_key ON endpoint(party_key);
                CREATE INDEX endpoint_ods ON endpoint(ods);
                CREATE TABLE interaction (
                    urn TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, method TEXT NOT NULL, path TEXT NOT NULL,
                    scope TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE sharing_agreement (
                    id TEXT PRIMARY KEY NOT NULL, description TEXT NOT NULL, consumer TEXT NOT NULL, provider TEXT NOT NULL,
                    interactions TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL);
                CREATE TABLE directory_state (
                    id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL);
                INSERT INTO directory_state (id, generation) VALUES (1, 0);
                CREATE TABLE directory_change (
                    sequence INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, at TEXT NOT NULL,
                    actor TEXT NOT NULL, source TEXT NOT NULL, reason TEXT,
                    kind TEXT NOT NULL, entry_key TEXT NOT NULL, action TEXT NOT NULL, before TEXT, after TEXT);
                CREATE INDEX directory_change_entry ON directory_change(kind, entry_key, sequence);
                CREATE TRIGGER directory_change_no_update BEFORE UPDATE ON directory_change
                    BEGIN SELECT RAISE(ABORT, 'directory history is append-only'); END;
                CREATE TRIGGER directory_change_no_delete BEFORE DELETE ON directory_change
                    BEGIN SELECT RAISE(ABORT, 'directory history is append-only'); END;
                """)
        }
        return migrator
    }

    public func load() async throws -> StoredDirectory {
        try await pool.read { db in
            let generation = try Int64.fetchOne(db, sql: "SELECT generation FROM directory_state WHERE id = 1") ?? 0
            var tables = DirectoryTables()
            var decoder = DirectoryRowCoding.Decoder()
            for kind in EntityKind.allCases {
                let (table, columns) = DirectoryRowCoding.table(for: kind)
                let cursor = try Row.fetchCursor(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM \(table)")
                while let row = try cursor.next() {
                    tables.put(try decoder.entry(kind, text: { row[$0] }, integer: { row[$0] }))
                }
            }
            return StoredDirectory(tables: tables, generation: generation)
        }
    }

    public func generation() async throws -> Int64 {
        try await pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT generation FROM directory_state WHERE id = 1") ?? 0
        }
    }

    public func commit(_ changes: [EntryChange], expectedGeneration: Int64, author: ChangeAuthor) async throws -> Int64 {
        let at = Date()
        let history = try changes.map { change in
            (change, try change.before.map { String(decoding: try $0.jsonData(), as: UTF8.self) },
             try change.after.map { String(decoding: try $0.jsonData(), as: UTF8.self) })
        }
        return try await pool.write { db in
            try db.execute(sql: "UPDATE directory_state SET generation = generation + 1 WHERE id = 1 AND generation = ?",
                           arguments: [expectedGeneration])
            guard db.changesCount == 1 else {
                let actual = try Int64.fetchOne(db, sql: "SELECT generation FROM directory_state WHERE id = 1") ?? -1
                throw DirectoryStoreError.generationMoved(expected: expectedGeneration, actual: actual)
            }
            let generation = expectedGeneration + 1
            let timestamp = at.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))
            let historyStatement = try db.cachedStatement(sql: """
                INSERT INTO directory_change (generation, at, actor, source, reason, kind, entry_key, action, before, after)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for (change, before, after) in history {
                let (table, columns) = DirectoryRowCoding.table(for: change.ref.kind)
                if let entry = change.after {
                    let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
                    let statement = try db.cachedStatement(sql: "INSERT OR REPLACE INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))")
                    try statement.execute(arguments: StatementArguments(DirectoryRowCoding.values(of: entry).map(\.databaseValue)))
                } else {
                    try db.execute(sql: "DELETE FROM \(table) WHERE \(columns[0]) = ?", arguments: [change.ref.key])
                }
                try historyStatement.execute(arguments: [
                    generation, timestamp, author.actor, author.source.rawValue, author.reason,
                    change.ref.kind.rawValue, change.ref.key, change.action.rawValue, before, after,
                ])
            }
            return generation
        }
    }

    public func history(_ query: HistoryQuery) async throws -> [HistoryRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments: [(any DatabaseValueConvertible)?] = []
            if let entry = query.entry {
                conditions.append("kind = ? AND entry_key = ?")
                arguments += [entry.kind.rawValue, entry.key]
            } else if let kind = query.kind {
                conditions.append("kind = ?")
                arguments.append(kind.rawValue)
            }
            if let key = query.key {
                conditions.append("entry_key = ?")
                arguments.append(key)
            }
            if let before = query.beforeSequence {
                conditions.append("sequence < ?")
                arguments.append(before)
            }
            if let since = query.since {
                conditions.append("at >= ?")
                arguments.append(since.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT sequence, generation, at, actor, source, reason, kind, entry_key, action, before, after
                FROM directory_change \(whereClause) ORDER BY sequence DESC LIMIT ?
                """, arguments: StatementArguments(arguments + [max(1, min(query.limit, 10_000))]))
            return try rows.map(Self.historyRecord)
        }
    }

    static func historyRecord(_ row: Row) throws -> HistoryRecord {
        let kindText: String = row["kind"]
        guard let kind = EntityKind(rawValue: kindText), let action = EntryChange.Action(rawValue: row["action"]),
              let source = ChangeAuthor.Source(rawValue: row["source"]) else {
            throw DirectoryStoreError.corruptRow(table: "directory_change", key: "\(row["sequence"] as Int64)", reason: "bad kind, action or source")
        }
        let atText: String = row["at"]
        let at = (try? Date(atText, strategy: .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted))) ?? .distantPast
        func entry(_ column: String) throws -> DirectoryEntry? {
            guard let text: String = row[column] else { return nil }
            return try DirectoryEntry.decode(kind, from: Data(text.utf8))
        }
        return HistoryRecord(
            sequence: row["sequence"], generation: row["generation"], at: at,
            author: ChangeAuthor(actor: row["actor"], source: source, reason: row["reason"]),
            action: action, ref: EntityRef(kind, row["entry_key"]), before: try entry("before"), after: try entry("after"))
    }

    /// The journal mode and `synchronous` level in force (tests and `/ready` check them).
    public func durabilityReport() throws -> (journalMode: String, writerSynchronous: Int, readerSynchronous: Int) {
        try SQLiteDatabase.durabilityReport(pool)
    }
}

extension DirectoryRowCoding.Value {
    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .integer(let value): value.databaseValue
        case .null: .null
        }
    }
}
