public import Foundation
import GRDB
import SwitchboardCore
import SwitchboardStorage

/// Console sessions in a node's own SQLite file (with a SQLite directory store: beside the
/// management tokens file), so that a restart keeps users signed in.
public final class SQLiteConsoleSessionStore: ConsoleSessionStore {
    private let pool: DatabasePool

    public init(path: String) throws {
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        pool = try SQLiteDatabase.openPool(path: path, synchronous: .normal, busyTimeoutSeconds: 2, label: "switchboard.console-sessions")
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 console sessions") { db in
            try db.execute(sql: """
                CREATE TABLE console_session (
                    id_hash TEXT PRIMARY KEY NOT NULL, principal TEXT NOT NULL, role TEXT NOT NULL, csrf TEXT NOT NULL,
                    started_us INTEGER NOT NULL, last_seen_us INTEGER NOT NULL)
                """)
        }
        try migrator.migrate(pool)
    }

    /// The sessions file of a node whose management tokens are in `tokensFile`.
    public static func path(besideTokensFile tokensFile: String) -> String {
        URL(fileURLWithPath: tokensFile).deletingLastPathComponent().appendingPathComponent("console-sessions.sqlite").path
    }

    public func insert(_ session: StoredConsoleSession) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT INTO console_session (id_hash, principal, role, csrf, started_us, last_seen_us) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [session.idHash, session.principalName, session.role, session.csrf,
                                       session.startedAt.unixMicroseconds, session.lastSeenAt.unixMicroseconds])
        }
    }

    public func session(idHash: String) async throws -> StoredConsoleSession? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT principal, role, csrf, started_us, last_seen_us FROM console_session WHERE id_hash = ?", arguments: [idHash])
                .map { StoredConsoleSession(idHash: idHash, principalName: $0[0], role: $0[1], csrf: $0[2], startedAt: Date(unixMicroseconds: $0[3]), lastSeenAt: Date(unixMicroseconds: $0[4])) }
        }
    }

    public func touch(idHash: String, at date: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE console_session SET last_seen_us = ? WHERE id_hash = ?", arguments: [date.unixMicroseconds, idHash])
        }
    }

    public func delete(idHash: String) async throws {
        try await pool.write { db in try db.execute(sql: "DELETE FROM console_session WHERE id_hash = ?", arguments: [idHash]) }
    }

    public func deleteEnded(idleBefore: Date, startedBefore: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM console_session WHERE last_seen_us < ? OR started_us < ?",
                           arguments: [idleBefore.unixMicroseconds, startedBefore.unixMicroseconds])
        }
    }
}
