import SwitchboardCore
public import SwitchboardAudit
import Logging
import SwitchboardPostgres
import SwitchboardStorage
import Foundation

/// Opens the configured audit store (the CLI and the server share this).
public struct AuditOperations: Sendable {
    public let configuration: AuditConfiguration

    public init(configuration: AuditConfiguration) {
        self.configuration = configuration
    }

    /// - Parameter writing: `false` in a process that only reads and prunes (the CLI): a journal is
    ///   then read, never written, so it may run beside a server.
    public func openStore(writing: Bool = false) async throws -> any AuditStore {
        switch try configuration.storeLocation {
        case .store(.sqlite(let path)):
            guard configuration.journal else {
                return try await StoreOpenError.opening("audit.store", at: path) {
                    try SQLiteAuditStore(path: path, synchronous: configuration.synchronous)
                }
            }
            // The journal is the durability point; the index can be rebuilt from it.
            let index = try await StoreOpenError.opening("audit.store", at: path) { try SQLiteAuditStore(path: path, synchronous: .normal) }
            let folder = AuditConfiguration.journalFolder(forStoreAt: path)
            return try await StoreOpenError.opening("audit.journal", at: folder.path) {
                try await JournaledAuditStore.open(index: index, settings: .init(
                    folder: folder, segmentBytes: configuration.journalSegmentBytes, writable: writing, syncs: configuration.synchronous == .full))
            }
        case .store(.postgres(let location)):
            return try await StoreOpenError.opening("audit.store", at: location.description) {
                try await PostgresAuditStore(location: location, logger: Logger(label: "switchboard.audit.postgres"))
            }
        case .off:
            throw ConfigurationError(setting: "audit.store", message: "the audit store is off in this configuration")
        }
    }
}
