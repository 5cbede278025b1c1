import Foundation
import Logging
import SwitchboardAudit
import SwitchboardStorage
import SwitchboardTesting
import Testing

/// Signed checkpoints: what someone who can write to the database but does not hold the key
/// cannot hide — a chain rewritten and rehashed, a tail removed with its checkpoints, a forged
/// or altered checkpoint — and a key rotation that keeps every checkpoint provable.
@Suite struct AuditCheckpointTests {
    static let node = "node-a"

    /// `count` finished exchanges appended to the node's chain, one row each.
    static func exchanges(_ count: Int, status: Int = 200) -> [AuditEntry] {
        (0..<count).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record(status: status)) }
    }

    /// Signs the store's head for the node with `key`.
    static func sign(_ store: any AuditStore, _ key: CheckpointKey) async throws -> AuditCheckpoint {
        let head = try await store.chainHead(node: node)
        let checkpoint = try AuditCheckpoint.sign(node: node, sequence: head.sequence, chainHash: head.hash, at: Date(), key: key)
        try await store.appendCheckpoint(checkpoint)
        return checkpoint
    }

    /// `first` exchanges and a checkpoint, then `then` more and another.
    static func twoCheckpoints(_ store: any AuditStore, _ key: CheckpointKey, first: Int, then: Int) async throws -> (AuditCheckpoint, AuditCheckpoint) {
        try await store.append(exchanges(first), node: node)
        let early = try await sign(store, key)
        try await store.append(exchanges(then), node: node)
        return (early, try await sign(store, key))
    }

    static func check(_ store: any AuditStore, trusting keys: [CheckpointKey], outside: [AuditCheckpoint] = []) async throws -> CheckpointVerification.NodeResult {
        let chains = try await store.verify(node: nil)
        let result = try await CheckpointVerification.check(store: store, chains: chains, publicKeys: Set(keys.map(\.rawPublicKey)), outside: outside)
        return try #require(result.nodes.first { $0.node == node })
    }

    /// SQL that removes the checkpoint table's append-only triggers.
    static func dropCheckpointTriggers(_ backend: StoreBackend) -> String {
        switch backend {
        case .sqlite: "DROP TRIGGER audit_checkpoint_no_update; DROP TRIGGER audit_checkpoint_no_delete;"
        case .postgres: "DROP TRIGGER audit_checkpoint_append_only ON audit_checkpoint;"
        }
    }

    @Test func aCheckpointSignsItsStatementAndNothingElse() throws {
        let key = CheckpointKey.generate()
        let checkpoint = try AuditCheckpoint.sign(node: Self.node, sequence: 42, chainHash: String(repeating: "ab", count: 32), at: Date(), key: key)
        #expect(checkpoint.signaturesAreValid)
        #expect(checkpoint.keyID == key.id)
        #expect(checkpoint.keyID.wholeMatch(of: /ed25519:[0-9a-f]{16}/) != nil)
        for alter in [{ (c: inout AuditCheckpoint) in c.sequence += 1 }, { $0.chainHash = String(repeating: "cd", count: 32) },
                      { $0.node = "node-b" }, { $0.signedAt += 1 }, { $0.key = CheckpointKey.generate().rawPublicKey }] {
            var altered = checkpoint
            alter(&altered)
            #expect(!altered.signaturesAreValid)
        }
        // What the outside file holds reads back as the same signed statement.
        let copy = try JSONDecoder().decode(AuditCheckpoint.self, from: JSONEncoder().encode(checkpoint))
        #expect(copy == checkpoint)
        #expect(copy.signaturesAreValid)
    }

    @Test(arguments: StoreBackend.available)
    func checkpointsAreKeptInOrderAndAppendOnly(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let (first, second) = try await Self.twoCheckpoints(store, CheckpointKey.generate(), first: 3, then: 2)
            #expect(try await store.checkpoints(node: Self.node) == [first, second])
            #expect(try await store.latestCheckpoint(node: Self.node) == second)
            #expect(try await store.latestCheckpoint(node: "node-b") == nil)
            #expect(try await store.checkpoints(node: "node-b").isEmpty)
            #expect(try await store.chainHashes(node: Self.node, at: [3, 5, 9]) == [3: first.chainHash, 5: second.chainHash])
            try await AuditFixtures.expectRefusedAsAppendOnly(["UPDATE audit_checkpoint SET node_seq = 1", "DELETE FROM audit_checkpoint"], sql)
        }
    }

    /// Someone with the database deletes the chain and appends it again with one answer changed:
    /// every hash is recomputed and the chain alone verifies; the signed checkpoints do not.
    @Test(arguments: StoreBackend.available)
    func aChainRewrittenAndRehashedIsCaught(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let key = CheckpointKey.generate()
            let original = Self.exchanges(6)
            try await store.append(Array(original[..<4]), node: Self.node)
            _ = try await Self.sign(store, key)
            try await store.append(Array(original[4...]), node: Self.node)
            _ = try await Self.sign(store, key)
            let before = try await Self.check(store, trusting: [key])
            #expect(before.problems.isEmpty)
            #expect(before.provenThrough?.sequence == 6)
            #expect(before.verified == 2)

            #expect(try await sql(AuditFixtures.dropTriggers(backend)).status == 0)
            #expect(try await sql("DELETE FROM audit_record").status == 0)
            var rewritten = original
            rewritten[2].record.status = 404
            try await store.append(rewritten, node: Self.node)
            #expect(try await store.verify(node: nil).isIntact, "a rehashed chain verifies on its own")

            let after = try await Self.check(store, trusting: [key])
            #expect(after.problems.map(\.kind) == [.rewritten, .rewritten])
            #expect(after.problems.map(\.checkpoint.sequence) == [4, 6])
            #expect(after.provenThrough == nil)
        }
    }

    /// The last records and the checkpoints that cover them are removed from the store: the
    /// store alone still verifies (to its new end); the copy outside it does not.
    @Test(arguments: StoreBackend.available)
    func aTailRemovedWithItsCheckpointsIsCaughtByTheOutsideCopy(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let key = CheckpointKey.generate()
            let (early, late) = try await Self.twoCheckpoints(store, key, first: 4, then: 3)
            let outside = [early, late]

            #expect(try await sql(AuditFixtures.dropTriggers(backend) + Self.dropCheckpointTriggers(backend)).status == 0)
            #expect(try await sql("DELETE FROM audit_record WHERE node_seq > 4").status == 0)
            #expect(try await sql("DELETE FROM audit_checkpoint WHERE node_seq > 4").status == 0)

            let storeOnly = try await Self.check(store, trusting: [key])
            #expect(storeOnly.problems.isEmpty)
            #expect(storeOnly.provenThrough?.sequence == 4)

            let withCopy = try await Self.check(store, trusting: [key], outside: outside)
            #expect(Set(withCopy.problems.map(\.kind)) == [.tailRemoved, .missingFromStore])
            #expect(withCopy.problems.allSatisfy { $0.checkpoint == late })
            #expect(withCopy.problems.first { $0.kind == .tailRemoved }?.detail.contains("the chain ends at 4") == true)
        }
    }

    /// A checkpoint forged with another key, and one whose hash was edited after signing.
    @Test func forgedAndAlteredCheckpointsAreRefused() async throws {
        try await AuditFixtures.withStore(.sqlite) { store, sql in
            let key = CheckpointKey.generate()
            try await store.append(Self.exchanges(3), node: Self.node)
            _ = try await Self.sign(store, key)
            _ = try await Self.sign(store, CheckpointKey.generate())
            #expect(try await sql(Self.dropCheckpointTriggers(.sqlite)).status == 0)
            #expect(try await sql("INSERT INTO audit_checkpoint (node, node_seq, hash, signed_at, key, signature) SELECT node, node_seq, '\(String(repeating: "0", count: 64))', signed_at, key, signature FROM audit_checkpoint WHERE id = 1").status == 0)
            let result = try await Self.check(store, trusting: [key])
            #expect(result.problems.map(\.kind) == [.unknownKey, .badSignature])
            #expect(result.provenThrough?.sequence == 3)
            #expect(result.verified == 1)
        }
    }

    /// Key A signs, then the node restarts with B as its key and A as the previous one: the
    /// signer writes the hand-over signed by both, then signs with B. Either public key proves
    /// every checkpoint; a third key proves none.
    @Test func aRotatedKeyHandsOverAndEitherKeyProvesTheWholeChain() async throws {
        try await withTemporaryDirectory { folder in
            let store = try AuditFixtures.store(folder)
            let outside = folder.appendingPathComponent("checkpoints.jsonl").path
            let (a, b) = (CheckpointKey.generate(), CheckpointKey.generate())
            try await store.append(Self.exchanges(2), node: Self.node)
            try await Self.runSigner(store, key: a, outside: outside) { try await $0.checkpoints(node: Self.node).count == 1 }
            try await store.append(Self.exchanges(2), node: Self.node)
            try await Self.runSigner(store, key: b, previous: a, outside: outside) { try await $0.checkpoints(node: Self.node).count == 2 }
            // A restart after the hand-over signs on with B; it does not hand over again.
            try await store.append(Self.exchanges(1), node: Self.node)
            try await Self.runSigner(store, key: b, previous: a, outside: outside) { try await $0.checkpoints(node: Self.node).count == 3 }
            let checkpoints = try await store.checkpoints(node: Self.node)
            #expect(checkpoints.map(\.keyID) == [a.id, a.id, b.id])
            #expect(checkpoints.map(\.sequence) == [2, 4, 5])
            #expect(checkpoints[1].nextKey == b.rawPublicKey)
            #expect(try CheckpointFile.read(outside) == checkpoints)
            for trusted in [[a], [b]] {
                let result = try await Self.check(store, trusting: trusted, outside: checkpoints)
                #expect(result.problems.isEmpty)
                #expect(result.provenThrough?.sequence == 5)
                #expect(result.verified == 3)
            }
            let stranger = try await Self.check(store, trusting: [CheckpointKey.generate()])
            #expect(stranger.problems.map(\.kind) == [.unknownKey, .unknownKey, .unknownKey])
            #expect(stranger.provenThrough == nil)
        }
    }

    /// Runs a signer that signs at every poll until `done` says so (or 30 s pass), then stops it.
    static func runSigner(_ store: SQLiteAuditStore, key: CheckpointKey, previous: CheckpointKey? = nil, outside: String,
                          until done: @escaping @Sendable (SQLiteAuditStore) async throws -> Bool) async throws {
        let signer = CheckpointSigner(store: store, settings: .init(node: node, key: key, previousKey: previous, everyRecords: 1, interval: .seconds(3600),
                                                                    outsideFile: outside, pollInterval: .milliseconds(20)),
                                      logger: Logger(label: "test"))
        let running = Task { await signer.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(30)
        while try await !done(store) {
            guard ContinuousClock.now < deadline else {
                Issue.record("the signer did not get there in 30 s: \(try await store.checkpoints(node: node).map(\.sequence))")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        running.cancel()
        await running.value
    }
}
