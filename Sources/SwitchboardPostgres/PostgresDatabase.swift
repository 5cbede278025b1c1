import Foundation
import Logging
import NIOSSL
import PostgresNIO
import SwitchboardStorage

extension PostgresLocation {
    func clientConfiguration() throws -> PostgresClient.Configuration {
        let tlsSetting: PostgresClient.Configuration.TLS
        switch tls {
        case .disable:
            tlsSetting = .disable
        case .require, .verifyFull:
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.certificateVerification = tls == .verifyFull ? .fullVerification : .noHostnameVerification
            if let rootCertificate { configuration.trustRoots = .file(rootCertificate) }
            tlsSetting = .require(configuration)
        }
        var configuration = PostgresClient.Configuration(host: host, port: port, username: username, password: password, database: database, tls: tlsSetting)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(connectTimeoutSeconds)
        configuration.options.minimumConnections = 1
        // A write that waits this long for a lock fails, so a store locked by someone else counts
        // as failing (the proxy answers 503) instead of holding every exchange.
        configuration.options.additionalStartupParameters = [("lock_timeout", "2s")]
        return configuration
    }
}



/// A pooled PostgreSQL client, and the migrations of one schema, run once by whichever process
/// gets there first. The pool runs in the enclosing ``StoreTasks/run(_:)`` scope until it ends.
final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let location: PostgresLocation
    let logger: Logger
    private let closing: AsyncStream<Void>.Continuation

    init(location: PostgresLocation, logger: Logger) throws {
        self.location = location
        self.logger = logger
        // The pool's own chatter (including a warning when a lease races the pool's start) stays
        // below errors; failures reach the stores' callers as errors and are logged there.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: try location.clientConfiguration(), backgroundLogger: background)
        self.client = client
        let (closed, closing) = AsyncStream<Void>.makeStream()
        self.closing = closing
        // The pool runs until the scope ends or the store is closed, whichever comes first.
        try StoreTasks.start {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await client.run() }
                group.addTask { for await _ in closed {} }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// Stops the pool.
    func close() { closing.finish() }

    /// Runs `body` in a transaction; an error the body threw is rethrown as itself (not wrapped),
    /// so callers see the store's own errors.
    func transaction<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    /// One advisory lock for every schema's migrations (they share the bookkeeping table).
    static let migrationLock: Int64 = 0x5357_4254_4348

    /// Applies each migration not yet applied, in order, each in its own transaction, under an
    /// advisory lock so that nodes starting together do not race.
    func migrate(_ schema: String, _ migrations: [(name: String, sql: [String])]) async throws {
        try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.migrationLock))", logger: logger)
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS switchboard_migration (
                    schema_name TEXT NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                    PRIMARY KEY (schema_name, name))
                """, logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM switchboard_migration WHERE schema_name = \(schema)", logger: logger)
                .decode(String.self) {
                applied.insert(name)
            }
            for migration in migrations where !applied.contains(migration.name) {
                for statement in migration.sql { try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await connection.query("INSERT INTO switchboard_migration (schema_name, name) VALUES (\(schema), \(migration.name))", logger: logger)
            }
        }
    }
}

extension PostgresCell {
    /// The cell as text, `nil` for SQL NULL.
    func text() throws -> String? { bytes == nil ? nil : try decode(String.self) }
    /// The cell as a 64-bit integer, `nil` for SQL NULL.
    func integer() throws -> Int64? { bytes == nil ? nil : try decode(Int64.self) }
}
