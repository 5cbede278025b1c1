public import SwitchboardCore
public import SwitchboardStorage

/// Where the routing directory lives and what it accepts.
public struct DirectoryConfiguration: Codable, Sendable, Equatable {
    /// The directory store: `sqlite:<path>` (embedded; the default) or a `postgres://` URL (shared
    /// by several nodes; see `Docs/scaling.md`).
    public var store: String = "sqlite:var/directory.sqlite"
    /// `full` (survives power loss) or `normal` (survives a process crash only).
    public var synchronous: SQLiteSynchronous = .full
    /// The RoutingTables/ folder `routes import`, `export` and `validate` use by default.
    public var routingTables: String = "RoutingTables"
    /// How often a running process checks the store for changes made elsewhere, in milliseconds.
    public var refreshIntervalMilliseconds: Int = 500
    /// Which endpoint hosts the directory accepts.
    public var endpointPolicy: EndpointAddressPolicy = .init()

    public init() {}

    /// The parsed `store` setting.
    public var storeLocation: DirectoryStoreLocation {
        get throws(ConfigurationError) {
            if store.hasPrefix("sqlite:"), store.count > "sqlite:".count {
                return .sqlite(path: String(store.dropFirst("sqlite:".count)))
            }
            if store.hasPrefix("postgres://") || store.hasPrefix("postgresql://") {
                do { return .postgres(try PostgresLocation(url: store)) } catch {
                    throw ConfigurationError(setting: "directory.store", message: "the PostgreSQL URL \(error.message)")
                }
            }
            throw ConfigurationError(setting: "directory.store", message: "'\(store.prefix(60))' must be 'sqlite:<path>' or 'postgres://…'")
        }
    }

    public func validate() throws(ConfigurationError) {
        _ = try storeLocation
        guard (50...60_000).contains(refreshIntervalMilliseconds) else {
            throw ConfigurationError(setting: "directory.refreshIntervalMilliseconds", message: "\(refreshIntervalMilliseconds) must be between 50 and 60000")
        }
        for suffix in endpointPolicy.allowedHostSuffixes where DirectoryValidator.fqdnProblem(suffix) != nil {
            throw ConfigurationError(setting: "directory.endpointPolicy.allowedHostSuffixes", message: "'\(suffix)' must be a lower-case DNS name")
        }
    }
}

/// Where a directory store is.
public enum DirectoryStoreLocation: Hashable, Sendable {
    case sqlite(path: String)
    case postgres(PostgresLocation)
}
