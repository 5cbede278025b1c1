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
            do {
                return try SQLiteAuditStore(path: path, synchronous: configuration.synchronous)
            } catch {
                throw StoreOpenError(setting: "audit.store", location: path, reason: ErrorMessage.describe(error))
            }
        case .postgres(let location):
            do {
                return try await PostgresAuditStore(location: location, logger: Logger(label: "switchboard.audit.postgres"))
            } catch {
                throw StoreOpenError(setting: "audit.store", location: location.description, reason: ErrorMessage.describe(error))
            }
        case .off:
            throw ConfigurationError(setting: "audit.store", message: "the audit store is off in this configuration")
        }
    }
}
