public import Logging
import PostgresNIO
public import SwitchboardStorage

/// The rate limiters' shared ledger in the PostgreSQL database every node uses: one row per node,
/// party (`consumer` or `provider`) and ASID, holding the running total of requests that node
/// granted. A node adds its counts and reads the others' in one transaction; rows no node has
/// updated for an hour are removed now and then. The proxy's `AdmissionLedger` wraps it (this
/// module knows nothing of rate limits).
public final class PostgresAdmissionTable: Sendable {
    /// One node's running total for one party and ASID.
    public struct Total: Sendable, Hashable {
        public var node: String
        public var party: String
        public var asid: String
        public var admitted: Int64

        public init(node: String, party: String, asid: String, admitted: Int64) {
            self.node = node
            self.party = party
            self.asid = asid
            self.admitted = admitted
        }
    }

    let database: PostgresDatabase

    public init(location: PostgresLocation, logger: Logger) async throws {
        database = try PostgresDatabase(location: location, logger: logger)
        try await database.migrate("throttle", Self.migrations)
    }

    /// Stops the connection pool.
    public func close() { database.close() }

    static let migrations: [(name: String, sql: [String])] = [
        ("v1 shared admissions", [
            """
            CREATE TABLE throttle_admission (
                node TEXT NOT NULL, party TEXT NOT NULL, asid TEXT NOT NULL, admitted BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL,
                PRIMARY KEY (node, party, asid))
            """,
        ]),
    ]

    /// Adds `added` (node is ignored) to `node`'s running totals, and returns every other node's
    /// totals updated within `recentSeconds`.
    public func exchange(node: String, added: [Total], recentSeconds: Int) async throws -> [Total] {
        let parties = added.map(\.party), asids = added.map(\.asid), counts = added.map(\.admitted)
        return try await database.transaction { connection in
            if !added.isEmpty {
                try await connection.query("""
                    INSERT INTO throttle_admission (node, party, asid, admitted, updated_at)
                    SELECT \(node), party, asid, admitted, now()
                    FROM unnest(\(parties)::text[], \(asids)::text[], \(counts)::bigint[]) AS t(party, asid, admitted)
                    ON CONFLICT (node, party, asid) DO UPDATE
                    SET admitted = throttle_admission.admitted + excluded.admitted, updated_at = excluded.updated_at
                    """, logger: database.logger)
            }
            if Int.random(in: 0..<1000) == 0 {
                try await connection.query("DELETE FROM throttle_admission WHERE updated_at < now() - interval '1 hour'", logger: database.logger)
            }
            var totals: [Total] = []
            let rows = try await connection.query("""
                SELECT node, party, asid, admitted FROM throttle_admission
                WHERE node <> \(node) AND updated_at > now() - make_interval(secs => \(Double(recentSeconds)))
                """, logger: database.logger)
            for try await (other, party, asid, admitted) in rows.decode((String, String, String, Int64).self) {
                totals.append(Total(node: other, party: party, asid: asid, admitted: admitted))
            }
            return totals
        }
    }
}
