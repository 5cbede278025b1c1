public import SwitchboardPostgres
public import SwitchboardDirectory
public import SwitchboardProxy
public import SwitchboardStorage
import SwitchboardCore

/// Every setting of a Switchboard process. Read by ``ConfigurationLoader`` from a YAML file in
/// `Config/`, then environment variables (`SWITCHBOARD_<SECTION>_<SETTING>`); a key the
/// structure does not define, or a value of the wrong kind, stops start-up naming the setting.
///
/// Settings that may be left unset use an empty string or list, never a missing key, so that
/// every setting has one documented default.
public struct SwitchboardConfiguration: Codable, Sendable, Equatable {
    public var node: NodeConfiguration = .init()
    public var directory: DirectoryConfiguration = .init()
    public var proxy: ProxyConfiguration = .init()
    public var audit: AuditConfiguration = .init()
    public var management: ManagementConfiguration = .init()
    public var logging: LoggingConfiguration = .init()

    public init() {}

    /// Checks what types alone cannot: ranges, formats, files that must exist.
    public func validate() throws(ConfigurationError) {
        try node.validate()
        try directory.validate()
        try proxy.validate()
        try audit.validate()
        try management.validate()
        try logging.validate()
    }
}

/// This process as one node of a deployment.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    /// Names this node in logs and audit records (one hash chain per node). Letters, digits, `-._`.
    public var id: String = "node-1"

    public func validate() throws(ConfigurationError) {
        guard NodeID.isValid(id) else {
            throw ConfigurationError(setting: "node.id", message: "'\(id)' must be \(NodeID.rule)")
        }
    }
}

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

/// What the process logs.
public struct LoggingConfiguration: Codable, Sendable, Equatable {
    public enum Format: String, Codable, Sendable, CaseIterable {
        case text
        case json
    }

    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` or `critical`.
    public var level: String = "info"
    public var format: Format = .text

    static let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]

    public func validate() throws(ConfigurationError) {
        guard Self.levels.contains(level) else {
            throw ConfigurationError(setting: "logging.level", message: "'\(level)' must be one of \(Self.levels.joined(separator: ", "))")
        }
    }
}
