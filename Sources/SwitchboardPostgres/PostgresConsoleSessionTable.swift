public import Foundation
public import Logging
import PostgresNIO
public import SwitchboardStorage

/// The console sessions' table in the PostgreSQL database every node shares, so that a user
/// signed in through one node stays signed in on the others. Keyed by the SHA-256 of the session
/// id. The management module's session store wraps it.
public final class PostgresConsoleSessionTable: Sendable {
    /// One row.
    public struct Row: Sendable, Hashable {
        public var idHash: String
        public var principal: String
        public var role: String
        public var csrf: String
        public var startedAt: Date
        public var lastSeenAt: Date

        public init(idHash: String, principal: String, role: String, csrf: String, startedAt: Date, lastSeenAt: Date) {
            self.idHash = idHash
            self.principal = principal
            self.role = role
            self.csrf = csrf
            self.startedAt = startedAt
            self.lastSeenAt = lastSeenAt
        }
    }

    let database: PostgresDatabase

    public init(location: PostgresLocation, logger: Logger) async throws {
        database = try PostgresDatabase(location: location, logger: logger)
        try await database.migrate("console", Self.migrations)
    }

    /// Stops the connection pool.
    public func close() { database.close() }

    static let migrations: [(name: String, sql: [String])] = [
        ("v1 console sessions", [
            """
            CREATE TABLE console_session (
                id_hash TEXT PRIMARY KEY, principal TEXT NOT NULL, role TEXT NOT NULL, csrf TEXT NOT NULL,
                started_at TIMESTAMPTZ NOT NULL, last_seen_at TIMESTAMPTZ NOT NULL)
            """,
        ]),
    ]

    public func insert(_ row: Row) async throws {
        try await database.client.query("""
            INSERT INTO console_session (id_hash, principal, role, csrf, started_at, last_seen_at)
            VALUES (\(row.idHash), \(row.principal), \(row.role), \(row.csrf), \(row.startedAt), \(row.lastSeenAt))
            """, logger: database.logger)
    }

    public func row(idHash: String) async throws -> Row? {
        let rows = try await database.client.query(
            "SELECT principal, role, csrf, started_at, last_seen_at FROM console_session WHERE id_hash = \(idHash)", logger: database.logger)
        for try await (principal, role, csrf, started, seen) in rows.decode((String, String, String, Date, Date).self) {
            return Row(idHash: idHash, principal: principal, role: role, csrf: csrf, startedAt: started, lastSeenAt: seen)
        }
        return nil
    }

    public func touch(idHash: String, at date: Date) async throws {
        try await database.client.query("UPDATE console_session SET last_seen_at = \(date) WHERE id_hash = \(idHash)", logger: database.logger)
    }

    public func delete(idHash: String) async throws {
        try await database.client.query("DELETE FROM console_session WHERE id_hash = \(idHash)", logger: database.logger)
    }

    public func deleteEnded(idleBefore: Date, startedBefore: Date) async throws {
        try await database.client.query("DELETE FROM console_session WHERE last_seen_at < \(idleBefore) OR started_at < \(startedBefore)",
                                        logger: database.logger)
    }
}
