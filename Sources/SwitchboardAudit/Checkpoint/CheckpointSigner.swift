import Foundation
public import Logging
public import ServiceLifecycle
import SwitchboardCore

/// Signs this node's chain head every `everyRecords` records or `interval` (checked every
/// `pollInterval`), and once more when serve stops; keeps each checkpoint in the store and, when
/// configured, appends it to a file outside it. On a key rotation it first writes the hand-over,
/// signed by the previous key and the new one.
///
/// A checkpoint that cannot be written is logged and tried again at the next poll: checkpoints
/// prove the records, they do not hold exchanges back.
public final class CheckpointSigner: Service {
    public struct Settings: Sendable {
        public var node: String
        public var key: CheckpointKey
        public var previousKey: CheckpointKey?
        public var everyRecords: Int
        public var interval: Duration
        public var outsideFile: String?
        public var pollInterval: Duration
        /// Told of each checkpoint once it is stored.
        public var signed: @Sendable (AuditCheckpoint) -> Void

        public init(node: String, key: CheckpointKey, previousKey: CheckpointKey? = nil, everyRecords: Int = 1_000, interval: Duration = .seconds(60),
                    outsideFile: String? = nil, pollInterval: Duration = .seconds(1), signed: @escaping @Sendable (AuditCheckpoint) -> Void = { _ in }) {
            self.node = node
            self.key = key
            self.previousKey = previousKey
            self.everyRecords = everyRecords
            self.interval = interval
            self.outsideFile = outsideFile
            self.pollInterval = pollInterval
            self.signed = signed
        }
    }

    let store: any AuditStore
    public let settings: Settings
    let logger: Logger

    public init(store: any AuditStore, settings: Settings, logger: Logger) {
        self.store = store
        self.settings = settings
        self.logger = logger
    }

    /// What the loop knows of the node's last checkpoint.
    private struct Last {
        var sequence: Int64
        var at: ContinuousClock.Instant
    }

    public func run() async {
        var last: Last?
        while true {
            if last == nil { last = await start() }
            let stopping = (try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.settings.pollInterval) }) == nil
            if Task.isCancelled { return }
            if let previous = last, let signed = await signIfDue(after: previous, final: stopping) { last = signed }
            if stopping { return }
        }
    }

    /// Reads the node's last checkpoint and hands over from the previous key if it signed it;
    /// `nil` when the store cannot be read yet.
    private func start() async -> Last? {
        do {
            let latest = try await store.latestCheckpoint(node: settings.node)
            let now = ContinuousClock.now
            guard let latest else { return Last(sequence: 0, at: now) }
            let age = Duration.milliseconds(Int64(max(0, Date().timeIntervalSince(latest.signedAt)) * 1000))
            var last = Last(sequence: latest.sequence, at: now - age)
            // Nothing to hand over when the current key signed last, or was handed over to last.
            if latest.key != settings.key.rawPublicKey, latest.nextKey != settings.key.rawPublicKey {
                if let previous = settings.previousKey, latest.key == previous.rawPublicKey {
                    let head = try await store.chainHead(node: settings.node)
                    let handOver = try AuditCheckpoint.sign(node: settings.node, sequence: head.sequence, chainHash: head.hash, at: Date(),
                                                            key: previous, handingOverTo: settings.key)
                    try await keep(handOver)
                    logger.notice("audit checkpoint key handed over", metadata: [
                        LogKey.checkpointKey: "\(previous.id)", LogKey.checkpointNextKey: "\(settings.key.id)", LogKey.checkpointSequence: "\(head.sequence)",
                    ])
                    last = Last(sequence: head.sequence, at: .now)
                } else {
                    logger.warning("the node's last audit checkpoint was signed by another key; verifiers need its public key too, or set audit.checkpoints.previousSigningKey to that key so that it hands over", metadata: [
                        LogKey.checkpointKey: "\(latest.keyID)", LogKey.checkpointNextKey: "\(settings.key.id)",
                    ])
                }
            }
            return last
        } catch {
            logger.error("cannot read the audit checkpoints; trying again", metadata: [LogKey.error: "\(error)"])
            return nil
        }
    }

    /// Signs the chain head if enough records or time have passed since `last` (or, when
    /// `final`, if any record has); the new last checkpoint, or `nil` when none was written.
    private func signIfDue(after last: Last, final: Bool) async -> Last? {
        do {
            let head = try await store.chainHead(node: settings.node)
            let now = ContinuousClock.now
            guard head.sequence > last.sequence,
                  final || head.sequence - last.sequence >= Int64(settings.everyRecords) || now - last.at >= settings.interval else { return nil }
            try await keep(try AuditCheckpoint.sign(node: settings.node, sequence: head.sequence, chainHash: head.hash, at: Date(), key: settings.key))
            return Last(sequence: head.sequence, at: now)
        } catch {
            logger.error("cannot sign an audit checkpoint; trying again", metadata: [LogKey.error: "\(error)"])
            return nil
        }
    }

    /// Stores the checkpoint, then copies it outside.
    private func keep(_ checkpoint: AuditCheckpoint) async throws {
        try await store.appendCheckpoint(checkpoint)
        settings.signed(checkpoint)
        guard let outsideFile = settings.outsideFile else { return }
        do {
            try CheckpointFile.append(checkpoint, to: outsideFile)
        } catch {
            logger.error("an audit checkpoint is in the store but not in audit.checkpoints.outsideFile", metadata: [
                LogKey.error: "\(error)", LogKey.checkpointSequence: "\(checkpoint.sequence)",
            ])
        }
    }
}
