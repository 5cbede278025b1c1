public import SwitchboardAdmin
public import SwitchboardAudit
public import SwitchboardCore
public import SwitchboardDirectory
public import SwitchboardProxy

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
    public var tracing: TracingConfiguration = .init()

    public init() {}

    /// Checks what types alone cannot: ranges, formats, files that must exist.
    public func validate() throws(ConfigurationError) {
        try node.validate()
        try directory.validate()
        try proxy.validate()
        try audit.validate()
        try management.validate()
        try logging.validate()
        try tracing.validate()
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

/// OpenTelemetry traces: one span per exchange, with its admission phases, upstream call and
/// audit commit as children, sent over OTLP/HTTP. Off by default.
public struct TracingConfiguration: Codable, Sendable, Equatable {
    public enum Exporter: String, Codable, Sendable, CaseIterable {
        case none
        case otlp
    }

    public enum WireProtocol: String, Codable, Sendable, CaseIterable {
        case httpProtobuf = "http/protobuf"
        case httpJSON = "http/json"
    }

    public var exporter: Exporter = .none
    /// The collector's traces URL, used as it is (OTLP/HTTP's path included).
    public var endpoint: String = "http://localhost:4318/v1/traces"
    public var `protocol`: WireProtocol = .httpProtobuf
    /// The share of exchanges traced when the consumer sent no sampled `traceparent`, 0 to 1.
    public var sampleRatio: Double = 1
    /// How often the spans gathered are sent.
    public var exportIntervalMilliseconds: Int = 5_000
    /// The `service.name` resource attribute.
    public var serviceName: String = "switchboard"

    public func validate() throws(ConfigurationError) {
        guard (0...1).contains(sampleRatio) else {
            throw ConfigurationError(setting: "tracing.sampleRatio", message: "\(sampleRatio) must be between 0 and 1")
        }
        guard exportIntervalMilliseconds > 0 else {
            throw ConfigurationError(setting: "tracing.exportIntervalMilliseconds", message: "\(exportIntervalMilliseconds) must be at least 1")
        }
        guard exporter == .none || endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") else {
            throw ConfigurationError(setting: "tracing.endpoint", message: "'\(endpoint)' must be an http:// or https:// URL, e.g. http://localhost:4318/v1/traces")
        }
    }
}
