import Foundation

/// The test PostgreSQL server, when there is one: `TEST_POSTGRES_URL` holds a URL of a
/// role that may create databases (`scripts/test` starts a throwaway cluster and sets it). Each
/// test gets a database of its own, dropped afterwards.
public enum ScratchPostgres {
    /// The server's URL (its maintenance database), or `nil` when no server was provided.
    public static var serverURL: String? {
        ProcessInfo.processInfo.environment["TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Whether the run was told a server must be there (`scripts/test` sets this when it started one).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["TEST_POSTGRES_REQUIRED"] == "1" }

    /// A new, empty database for the body, dropped when it returns; `url` is its URL.
    public static func withDatabase<T>(_ body: (_ url: String) async throws -> T) async throws -> T {
        guard let server = serverURL, var components = URLComponents(string: server) else {
            throw ScratchPostgresError("TEST_POSTGRES_URL is not set")
        }
        let name = "sbtest_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
        let created = try await psql(server, "CREATE DATABASE \(name)")
        guard created.status == 0 else { throw ScratchPostgresError("cannot create a test database: \(created.output)") }
        components.path = "/\(name)"
        // Tests run side by side: a few connections each.
        components.queryItems = (components.queryItems ?? []) + [URLQueryItem(name: "pool", value: "4")]
        do {
            let result = try await body(components.string!)
            _ = try? await psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            return result
        } catch {
            _ = try? await psql(server, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
            throw error
        }
    }

    /// Starts a psql session that runs `statement` in a transaction and keeps it open (holding
    /// whatever lock it took) until ``endLockHolders(_:)``; returns once the statement has run.
    public static func holdLock(_ url: String, _ statement: String) async throws -> BackgroundProgram {
        var environment = ProcessInfo.processInfo.environment
        environment["PGAPPNAME"] = "switchboard-lock-holder"
        let process = try BackgroundProgram("/usr/bin/psql", [psqlURL(url), "-X", "-q", "-c", "BEGIN; \(statement); SELECT pg_sleep(120); COMMIT;"],
                                            environment: environment)
        for _ in 0..<200 {
            let held = try await psql(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'switchboard-lock-holder' AND wait_event = 'PgSleep'")
            if held.output.trimmingCharacters(in: .whitespacesAndNewlines) == "1" { return process }
            try await Task.sleep(for: .milliseconds(20))
        }
        process.terminate()
        throw ScratchPostgresError("the lock-holding session did not start")
    }

    /// Ends the sessions ``holdLock(_:_:)`` started (their transactions roll back).
    public static func endLockHolders(_ url: String) async throws {
        try await psql(url, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'switchboard-lock-holder'")
    }

    static func psqlURL(_ url: String) -> String {
        // psql does not know Switchboard's own URL options.
        var components = URLComponents(string: url)
        let kept = components?.queryItems?.filter { $0.name == "sslmode" }
        components?.queryItems = kept
        return components?.string ?? url
    }

    /// Runs `sql` with the psql command-line tool against `url`; stops at the first error.
    @discardableResult
    public static func psql(_ url: String, _ sql: String) async throws -> (status: Int32, output: String) {
        try await runTool("/usr/bin/psql", [psqlURL(url), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }
}

public struct ScratchPostgresError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The store implementations a shared store suite runs against: SQLite always, PostgreSQL when
/// a test server is provided.
public enum StoreBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    public static var available: [StoreBackend] { ScratchPostgres.serverURL == nil ? [.sqlite] : [.sqlite, .postgres] }
    public var description: String { rawValue }
}
