import Foundation

/// The outcome of checking signed checkpoints against the chains: up to which record each
/// node's log is proven, and every checkpoint that does not hold.
public struct CheckpointVerification: Sendable, Hashable {
    /// A checkpoint that does not hold.
    public struct Problem: Sendable, Hashable {
        public enum Kind: String, Sendable, Hashable {
            /// The chain holds another hash at the checkpoint's record: rewritten (and rehashed).
            case rewritten
            /// The checkpoint covers records the chain no longer has: its tail was removed.
            case tailRemoved = "tail-removed"
            /// A signature does not match the checkpoint: it was altered or forged.
            case badSignature = "bad-signature"
            /// Signed by a key neither given nor handed over to from one given.
            case unknownKey = "unknown-key"
            /// In the outside copy but not in the store: checkpoints were removed from the store.
            case missingFromStore = "missing-from-store"
        }

        public var checkpoint: AuditCheckpoint
        public var kind: Kind
        public var detail: String
    }

    /// One node's checkpoints.
    public struct NodeResult: Sendable, Hashable {
        public var node: String
        /// The newest checkpoint that holds: the records up to its sequence are proven as signed.
        public var provenThrough: AuditCheckpoint?
        /// The chain's last record.
        public var lastSequence: Int64
        /// Checkpoints that hold.
        public var verified: Int
        /// Checkpoints of records since pruned (their signatures checked, their records gone).
        public var beforeAnchor: Int
        public var problems: [Problem]
    }

    public var nodes: [NodeResult]

    /// Whether every checkpoint holds.
    public var holds: Bool { nodes.allSatisfy { $0.problems.isEmpty } }

    /// Checks the checkpoints of `store` and those copied outside it (`outside`) against the
    /// chains `verification` walked, trusting the raw Ed25519 keys `publicKeys` and the keys they
    /// handed over to (or that handed over to them).
    public static func check(store: any AuditStore, chains verification: ChainVerification, publicKeys: Set<String>,
                             outside: [AuditCheckpoint], node onlyNode: String? = nil) async throws -> CheckpointVerification {
        let stored = try await store.checkpoints(node: onlyNode)
        let storedSignatures = Set(stored.map(\.signature))
        let copiedOnly = outside.filter { (onlyNode == nil || $0.node == onlyNode) && !storedSignatures.contains($0.signature) }
        let all = stored + copiedOnly
        let trusted = trustedKeys(given: publicKeys, checkpoints: all)
        let chains = Dictionary(verification.chains.map { ($0.node, $0) }, uniquingKeysWith: { first, _ in first })
        let nodes = Set(chains.keys).union(all.map(\.node)).sorted()
        var results: [NodeResult] = []
        for node in nodes {
            let chain = chains[node]
            let checkpoints = all.filter { $0.node == node }
            let hashes = try await store.chainHashes(node: node, at: Array(Set(checkpoints.map(\.sequence))))
            results.append(check(node: node, chain: chain, checkpoints: checkpoints, copiedOnly: Set(copiedOnly.map(\.signature)),
                                 hashes: hashes, trusted: trusted))
        }
        return CheckpointVerification(nodes: results)
    }

    /// The keys `given` and, repeatedly, those a hand-over signed by both keys links to a trusted one.
    static func trustedKeys(given: Set<String>, checkpoints: [AuditCheckpoint]) -> Set<String> {
        var trusted = given
        let handOvers = checkpoints.filter { $0.isHandOver && $0.signaturesAreValid }
        var changed = true
        while changed {
            changed = false
            for handOver in handOvers {
                guard let next = handOver.nextKey, trusted.contains(handOver.key) != trusted.contains(next) else { continue }
                trusted.formUnion([handOver.key, next])
                changed = true
            }
        }
        return trusted
    }

    static func check(node: String, chain: ChainVerification.NodeChain?, checkpoints: [AuditCheckpoint], copiedOnly: Set<String>,
                      hashes: [Int64: String], trusted: Set<String>) -> NodeResult {
        let anchor = chain?.anchoredAfter ?? 0
        let last = chain?.lastSequence ?? anchor
        // A record that breaks the chain is not proven by a checkpoint after it.
        let provable = chain?.firstBad.map { $0.sequence - 1 } ?? .max
        var result = NodeResult(node: node, provenThrough: nil, lastSequence: last, verified: 0, beforeAnchor: 0, problems: [])
        func problem(_ checkpoint: AuditCheckpoint, _ kind: Problem.Kind, _ detail: String) {
            result.problems.append(Problem(checkpoint: checkpoint, kind: kind, detail: detail))
        }
        for checkpoint in checkpoints {
            guard checkpoint.signaturesAreValid else {
                problem(checkpoint, .badSignature, "its signature does not match its content: the checkpoint was altered or forged")
                continue
            }
            guard trusted.contains(checkpoint.key) else {
                problem(checkpoint, .unknownKey, "signed by \(checkpoint.keyID), which no --public-key names nor hands over to; give that key's public half if it is yours")
                continue
            }
            if copiedOnly.contains(checkpoint.signature) {
                problem(checkpoint, .missingFromStore, "the outside copy holds this checkpoint and the store does not: checkpoints were removed from the store")
            }
            if checkpoint.sequence < anchor {
                result.beforeAnchor += 1
                continue
            }
            guard checkpoint.sequence <= last else {
                problem(checkpoint, .tailRemoved, "it covers record \(checkpoint.sequence), but the chain ends at \(last): records after \(last) were removed")
                continue
            }
            guard let hash = hashes[checkpoint.sequence] else {
                problem(checkpoint, .rewritten, "record \(checkpoint.sequence), which it covers, is no longer in the chain")
                continue
            }
            guard hash == checkpoint.chainHash else {
                problem(checkpoint, .rewritten, "record \(checkpoint.sequence) was signed with hash \(checkpoint.chainHash.prefix(16))…, the chain now holds \(hash.prefix(16))…: the chain was rewritten")
                continue
            }
            result.verified += 1
            if checkpoint.sequence <= provable, checkpoint.sequence >= result.provenThrough?.sequence ?? 0 { result.provenThrough = checkpoint }
        }
        return result
    }
}
