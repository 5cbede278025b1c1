public import Foundation
public import Logging
import PostgresNIO
public import SwitchboardStorage

/// The management tokens' table in the PostgreSQL database every node shares: a token made or
/// revoked through any node holds on every node at its next request, since each check reads the
/// table. Hashes only; at most one live token per name. The management module's token store
/// wraps it (this module knows nothing of roles).
public final class PostgresTokenTable: Sendable {
    /// One row.
    public struct Row: Sendable, Hashable {
        public var name: String
        public var role: String
        public var sha256: String
        public var createdAt: Date
        public var createdBy: String
        public var revokedAt: Date?

        public init(name: String, role: String, sha256: String, createdAt: Date, createdBy: String, revokedAt: Date?) {
            self.name = name
            self.role = role
            self.sha256 = sha256
            self.createdAt = createdAt
            self.createdBy = createdBy
            self.revokedAt = revokedAt
        }
    }

    let database: PostgresDatabase

    public init(location: PostgresLocation, logger: Logger) async throws {
        database = try PostgresDatabase(location: location, logger: logger)
        try await database.migrate("management", Self.migrations)
    }

    /// Stops the connection pool.
    public func close() { database.close() }

    static let migrations: [(name: String, sql: [String])] = [
        ("v1 management tokens", [
            """
            CREATE TABLE management_token (
                name TEXT NOT NULL, role TEXT NOT NULL, sha256 TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL,
                created_by TEXT NOT NULL, revoked_at TIMESTAMPTZ)
            """,
            "CREATE UNIQUE INDEX management_token_live_name ON management_token(name) WHERE revoked_at IS NULL",
        ]),
    ]

    /// Adds `row` (live); false when a live token already has its name.
    public func insert(_ row: Row) async throws -> Bool {
        let inserted = try await database.transaction { connection in
            try await connection.query("""
                INSERT INTO management_token (name, role, sha256, created_at, created_by)
                VALUES (\(row.name), \(row.role), \(row.sha256), \(row.createdAt), \(row.createdBy))
                ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING
                RETURNING name
                """, logger: database.logger).decode(String.self).reduce(0) { count, _ in count + 1 }
        }
        return inserted == 1
    }

    /// Revokes the live token called `name` now; false when there is none.
    public func revoke(name: String) async throws -> Bool {
        let revoked = try await database.transaction { connection in
            try await connection.query("""
                UPDATE management_token SET revoked_at = now() WHERE name = \(name) AND revoked_at IS NULL RETURNING name
                """, logger: database.logger).decode(String.self).reduce(0) { count, _ in count + 1 }
        }
        return revoked == 1
    }

    /// Every row, oldest first.
    public func rows() async throws -> [Row] {
        var rows: [Row] = []
        let query: PostgresQuery = "SELECT name, role, sha256, created_at, created_by, revoked_at FROM management_token ORDER BY created_at, name"
        for try await (name, role, sha256, createdAt, createdBy, revokedAt) in try await database.client.query(query, logger: database.logger)
            .decode((String, String, String, Date, String, Date?).self) {
            rows.append(Row(name: name, role: role, sha256: sha256, createdAt: createdAt, createdBy: createdBy, revokedAt: revokedAt))
        }
        return rows
    }

    /// The live row whose hash is `sha256`.
    public func live(sha256: String) async throws -> Row? {
        for try await (name, role, createdAt, createdBy) in try await database.client.query("""
            SELECT name, role, created_at, created_by FROM management_token WHERE sha256 = \(sha256) AND revoked_at IS NULL
            """, logger: database.logger).decode((String, String, Date, String).self) {
            return Row(name: name, role: role, sha256: sha256, createdAt: createdAt, createdBy: createdBy, revokedAt: nil)
        }
        return nil
    }
}
