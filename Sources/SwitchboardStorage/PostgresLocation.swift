import Foundation

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
}

/// A PostgreSQL URL that cannot be used, with why.
public struct PostgresLocationError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
