public import Foundation
import SwitchboardCore

/// A node's signed statement that its chain reached `sequence` with `chainHash`: whoever holds
/// the public key can tell a chain rewritten and rehashed by someone without the private key,
/// and a tail removed after the checkpoint was copied outside the store.
///
/// A hand-over also names the key that signs the node's next checkpoints, and carries that
/// key's signature of the same statement: trust passes between the two keys both ways.
public struct AuditCheckpoint: Sendable, Hashable, Codable {
    public var node: String
    /// The last record the checkpoint covers.
    public var sequence: Int64
    /// That record's hash.
    public var chainHash: String
    /// When it was signed, to the millisecond.
    public var signedAt: Date
    /// The signing key: its raw Ed25519 public key, base64.
    public var key: String
    /// The Ed25519 signature of ``statement``, base64.
    public var signature: String
    /// On a hand-over: the next key, raw, base64.
    public var nextKey: String?
    /// On a hand-over: the next key's signature of ``statement``, base64.
    public var nextSignature: String?

    public var isHandOver: Bool { nextKey != nil }

    /// The key's short name, as operators see it: `ed25519:` and the first 16 hex digits of the
    /// SHA-256 of the raw public key.
    public var keyID: String { CheckpointKey.id(ofRawKey: key) }

    /// The bytes both signatures cover: every field but the signatures, one per line.
    public var statement: [UInt8] {
        Array("""
            switchboard audit checkpoint v1
            node: \(node)
            sequence: \(sequence)
            hash: \(chainHash)
            signed-at: \(Timestamp.rfc3339(signedAt))
            key: \(key)
            next-key: \(nextKey ?? "")

            """.utf8)
    }

    /// Whether `signature` (and on a hand-over, `nextSignature`) are valid signatures of the
    /// statement by the keys the checkpoint names.
    public var signaturesAreValid: Bool {
        let statement = self.statement
        guard CheckpointKey.isValid(signature: signature, of: statement, byRawKey: key) else { return false }
        guard let nextKey else { return nextSignature == nil }
        guard let nextSignature else { return false }
        return CheckpointKey.isValid(signature: nextSignature, of: statement, byRawKey: nextKey)
    }

    /// A checkpoint of `node` at `sequence` signed by `key`, and on a hand-over also by `next`.
    public static func sign(node: String, sequence: Int64, chainHash: String, at date: Date, key: CheckpointKey,
                            handingOverTo next: CheckpointKey? = nil) throws -> AuditCheckpoint {
        var checkpoint = AuditCheckpoint(node: node, sequence: sequence, chainHash: chainHash, signedAt: toMillisecond(date, .down),
                                         key: key.rawPublicKey, signature: "", nextKey: next?.rawPublicKey, nextSignature: nil)
        let statement = checkpoint.statement
        checkpoint.signature = try key.sign(statement)
        checkpoint.nextSignature = try next?.sign(statement)
        return checkpoint
    }

    /// `date` to the millisecond, the same `Date` however it was read (the statement writes milliseconds).
    static func toMillisecond(_ date: Date, _ rule: FloatingPointRoundingRule = .toNearestOrAwayFromZero) -> Date {
        Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded(rule) / 1000)
    }

    /// `signedAt` read from RFC 3339 text.
    static func signedAt(_ text: String) -> Date? {
        Timestamp.parse(text).map { toMillisecond($0) }
    }
}
