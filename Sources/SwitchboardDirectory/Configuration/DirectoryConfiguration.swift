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
    public var storeLocation: StoreLocation {
        get throws(ConfigurationError) { try StoreLocation(store, setting: "directory.store") }
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
