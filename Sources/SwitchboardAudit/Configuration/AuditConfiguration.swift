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
    /// The size of each journal segment file, in bytes (zero-filled before use).
    public var journalSegmentBytes: Int = 64 << 20
    /// Records per group-commit transaction at most.
    public var maximumBatch: Int = 512
    /// Days a record is kept; `0` keeps every record (`switchboard audit prune` refuses).
    public var retentionDays: Int = 0
    /// How often a failed store is probed for recovery, in milliseconds.
    public var recoveryIntervalMilliseconds: Int = 500
    /// Signed checkpoints of each node's chain.
    public var checkpoints = Checkpoints()
    /// The file of the key (base64, 32 bytes or more) with which each record keeps HMAC-SHA-256 of
    /// the NHS number its request named, for `audit query --nhs-number`; the same on every node,
    /// outside the database. Empty: records keep no NHS number look-ups (numbers are still
    /// removed from the recorded URL).
    public var nhsNumberKey: String = ""

    /// The NHS number look-up key, `nil` when none is configured.
    public func nhsNumberLookUpKey() throws(ConfigurationError) -> NHSNumberKey? {
        nhsNumberKey.isEmpty ? nil : try NHSNumberKey(file: nhsNumberKey, setting: "audit.nhsNumberKey")
    }

    /// Signed checkpoints: every `everyRecords` records or `everySeconds` seconds (whichever comes
    /// first; checked each second), the node signs its chain's head with an Ed25519 key kept
    /// outside the database, so that `switchboard audit verify --public-key` can tell a chain
    /// rewritten by someone without the key.
    public struct Checkpoints: Codable, Sendable, Equatable {
        /// The PEM file of the Ed25519 private key that signs (`switchboard audit checkpoint-key`
        /// makes one); empty: no checkpoints.
        public var signingKey: String = ""
        /// On a key rotation, the key that signed until now: it signs the hand-over to
        /// `signingKey` (which signs it too) at start. Empty: no rotation.
        public var previousSigningKey: String = ""
        public var everyRecords: Int = 1_000
        public var everySeconds: Int = 60
        /// A file outside the store that every checkpoint is also appended to (one JSON object a
        /// line, synced), so that a tail removed from the store with its checkpoints is still
        /// caught; `switchboard audit verify --checkpoints FILE` reads it. Empty: none.
        public var outsideFile: String = ""

        public init() {}

        public var enabled: Bool { !signingKey.isEmpty }

        public func validate() throws(ConfigurationError) {
            guard (1...10_000_000).contains(everyRecords) else {
                throw ConfigurationError(setting: "audit.checkpoints.everyRecords", message: "\(everyRecords) must be between 1 and 10000000")
            }
            guard (1...86_400).contains(everySeconds) else {
                throw ConfigurationError(setting: "audit.checkpoints.everySeconds", message: "\(everySeconds) must be between 1 and 86400 (a day)")
            }
            guard enabled || previousSigningKey.isEmpty else {
                throw ConfigurationError(setting: "audit.checkpoints.previousSigningKey",
                                         message: "is set but audit.checkpoints.signingKey is not: set the new key there, the old one here")
            }
        }

        /// The signing key and, on a rotation, the previous one; `nil` when checkpoints are off.
        public func keys() throws(ConfigurationError) -> (current: CheckpointKey, previous: CheckpointKey?)? {
            guard enabled else { return nil }
            let current = try CheckpointKey(file: signingKey, setting: "audit.checkpoints.signingKey")
            let previous = previousSigningKey.isEmpty ? nil : try CheckpointKey(file: previousSigningKey, setting: "audit.checkpoints.previousSigningKey")
            return (current, previous)
        }
    }

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
        try checkpoints.validate()
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
