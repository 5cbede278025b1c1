public import SwitchboardAudit
import Logging
import SwitchboardPostgres

/// Opens the configured audit store (the CLI and the server share this).
public struct AuditOperations: Sendable {
    public let configuration: AuditConfiguration

    public init(configuration: AuditConfiguration) {
        self.configuration = configuration
    }

    public func openStore() async throws -> any AuditStore {
        switch try configuration.storeLocation {
        case .sqlite(let path):
            return try await StoreOpenError.opening("audit.store", at: path) {
                try SQLiteAuditStore(path: path, synchronous: configuration.synchronous)
            }
        case .postgres(let location):
            return try await StoreOpenError.opening("audit.store", at: location.description) {
                try await PostgresAuditStore(location: location, logger: Logger(label: "switchboard.audit.postgres"))
            }
        case .off:
            throw ConfigurationError(setting: "audit.store", message: "the audit store is off in this configuration")
        }
    }
}
