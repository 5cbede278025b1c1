import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where a PostgreSQL store is, from a `postgres://user:password@host:port/database?…` URL.
///
/// Query options: `sslmode` — `verify-full` (the default: TLS, the server's certificate checked
/// against `sslrootcert` or the system roots, and its name against the host), `require` (TLS,
/// certificate checked, name not) or `disable` (loopback and tests only); `sslrootcert` — a PEM
/// file of CAs; `pool` — connections at most (default 20); `connect_timeout` — seconds (default 10).
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, Hashable, CaseIterable {
        case disable, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String
    public var tls: TLSMode
    public var rootCertificate: String?
    public var maximumConnections: Int
    public var connectTimeoutSeconds: Int

    /// Reads and checks a URL; the error says which part is wrong (never echoing the password).
    public init(url text: String) throws(PostgresLocationError) {
        guard let components = URLComponents(string: text), components.scheme == "postgres" || components.scheme == "postgresql" else {
            throw PostgresLocationError("must be postgres://user[:password]@host[:port]/database[?sslmode=…]")
        }
        guard let host = components.host, !host.isEmpty else { throw PostgresLocationError("names no host") }
        guard let user = components.user, !user.isEmpty else { throw PostgresLocationError("names no user") }
        let database = String(components.path.dropFirst())
        guard !database.isEmpty, !database.contains("/") else { throw PostgresLocationError("names no database (…/database)") }
        self.host = host
        port = components.port ?? 5432
        username = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database
        tls = .verifyFull
        maximumConnections = 20
        connectTimeoutSeconds = 10
        for item in components.queryItems ?? [] {
            let value = item.value ?? ""
            switch item.name {
            case "sslmode":
                guard let mode = TLSMode(rawValue: value) else {
                    throw PostgresLocationError("sslmode '\(value)' must be one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                tls = mode
            case "sslrootcert": rootCertificate = value
            case "pool":
                guard let number = Int(value), (1...1000).contains(number) else { throw PostgresLocationError("pool '\(value)' must be 1 to 1000") }
                maximumConnections = number
            case "connect_timeout":
                guard let number = Int(value), (1...600).contains(number) else { throw PostgresLocationError("connect_timeout '\(value)' must be 1 to 600 seconds") }
                connectTimeoutSeconds = number
            default:
                throw PostgresLocationError("unknown option '\(item.name)' (known: sslmode, sslrootcert, pool, connect_timeout)")
            }
        }
    }

    /// The URL without its password.
    public var description: String { "postgres://\(username)@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }

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

/// A PostgreSQL URL that cannot be used, with why.
public struct PostgresLocationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A pooled PostgreSQL client that runs for as long as the store that owns it, and the
/// migrations of one schema, run once by whichever process gets there first.
final class PostgresDatabase: Sendable {
    let client: PostgresClient
    let location: PostgresLocation
    let logger: Logger
    private let running: Task<Void, Never>

    init(location: PostgresLocation, logger: Logger) throws {
        self.location = location
        self.logger = logger
        // The pool's own chatter (including a warning when a lease races the pool's start) stays
        // below errors; failures reach the stores' callers as errors and are logged there.
        var background = logger
        background.logLevel = max(logger.logLevel, .error)
        let client = PostgresClient(configuration: try location.clientConfiguration(), backgroundLogger: background)
        self.client = client
        // Detached: the pool outlives graceful shutdown of the services, so the audit writer can
        // drain into it; it stops when the store is closed.
        running = Task.detached { await client.run() }
    }

    deinit { running.cancel() }

    func close() { running.cancel() }

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
