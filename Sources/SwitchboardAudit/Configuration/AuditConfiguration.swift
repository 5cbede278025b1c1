public import SwitchboardCore
public import SwitchboardStorage
public import Foundation

/// Where exchange records are kept and for how long.
public struct AuditConfiguration: Codable, Sendable, Equatable {
    /// The audit store: `sqlite:<path>` (embedded; the default), a `postgres://` URL (shared by
    /// several nodes, one hash chain each), or `off` — for benchmarks and
    /// development only: exchanges are then logged but not recorded, and nothing is tamper-evident.
    public var store: String = "sqlite:var/audit.sqlite"
    /// `full` (the default) survives power loss: a record is on disk before the response it
    /// audits is released. `normal` survives a process crash only; a machine failure may lose
    /// the last records the consumer was already answered for.
    public var synchronous: SQLiteSynchronous = .full
    /// With the SQLite store: records become durable in an append-only journal beside the
    /// database (`<store without .sqlite>.journal/<node>/`), one write and one `fdatasync` per
    /// group, and the database is an index fed from it off the request path. `false`: records
    /// become durable in the database's own transactions (slower; for comparison).
    public var journal: Bool = true
    /// The size each journal segment file is preallocated to, in bytes.
    public var journalSegmentBytes: Int = 64 << 20
    /// Records per group-commit transaction at most.
    public var maximumBatch: Int = 512
    /// Days a record is kept; `0` keeps every record (`switchboard audit prune` refuses).
    public var retentionDays: Int = 0
    /// How often a failed store is probed for recovery, in milliseconds.
    public var recoveryIntervalMilliseconds: Int = 500

    public init() {}

    /// The parsed `store` setting.
    public var storeLocation: AuditStoreLocation {
        get throws(ConfigurationError) {
            if store == "off" { return .off }
            return .store(try StoreLocation(store, setting: "audit.store", forms: "'sqlite:<path>', 'postgres://…' or 'off'"))
        }
    }

    public func validate() throws(ConfigurationError) {
        _ = try storeLocation
        guard (1...10_000).contains(maximumBatch) else {
            throw ConfigurationError(setting: "audit.maximumBatch", message: "\(maximumBatch) must be between 1 and 10000")
        }
        guard (64 << 10...1 << 30).contains(journalSegmentBytes) else {
            throw ConfigurationError(setting: "audit.journalSegmentBytes", message: "\(journalSegmentBytes) must be between 65536 (64 KiB) and 1073741824 (1 GiB)")
        }
        guard retentionDays >= 0 else { throw ConfigurationError(setting: "audit.retentionDays", message: "must not be negative") }
        guard (10...60_000).contains(recoveryIntervalMilliseconds) else {
            throw ConfigurationError(setting: "audit.recoveryIntervalMilliseconds", message: "\(recoveryIntervalMilliseconds) must be between 10 and 60000")
        }
    }
}

extension AuditConfiguration {
    /// The journal folder of the SQLite store at `path`: `var/audit.sqlite` → `var/audit.journal`.
    public static func journalFolder(forStoreAt path: String) -> URL {
        let store = URL(fileURLWithPath: path)
        let base = store.pathExtension.isEmpty ? store : store.deletingPathExtension()
        return base.appendingPathExtension("journal")
    }
}

/// Where an audit store is.
public enum AuditStoreLocation: Hashable, Sendable {
    case store(StoreLocation)
    /// No audit store (benchmarks and development only).
    case off
}
