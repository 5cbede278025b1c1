import Foundation
import SwitchboardAudit
import SwitchboardCore
import SwitchboardStorage

/// The `switchboard audit` commands: each reads the configured store and returns what a person
/// reads. Filters are the audit API's parameters (`since`, `trace-id`, `asid`, …), given as
/// `--name value` options; an error names the option.
extension AuditOperations {
    /// What a command prints: `text` on standard output, `note` (e.g. the next page's cursor) on standard error.
    public struct Output: Sendable {
        public var text: String
        public var note: String?
    }

    func query(_ filters: [(String, String)]) throws -> AuditQuery {
        let query: AuditQuery
        let key = filters.contains { $0.0 == "nhs-number" } ? try configuration.nhsNumberLookUpKey() : nil
        do { query = try AuditQuery(parameters: filters, nhsNumberKey: key) } catch { throw OperationError("--\(error.parameter): \(error.message)") }
        // An empty period is an empty answer to the API; from a person it is more likely the two swapped.
        if let since = query.since, let until = query.until, since >= until {
            throw OperationError("--until must be after --since (a date means its whole day: --since 2026-11-01 --until 2026-11-30 is all of November)")
        }
        return query
    }

    static func format(_ text: String, allowed: [AuditExport.Format]) throws -> AuditExport.Format {
        guard let format = AuditExport.Format(rawValue: text), allowed.contains(format) else {
            let names = allowed.map(\.rawValue)
            throw OperationError("--format must be \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
        }
        return format
    }

    /// One page of records, newest first, as JSON, CSV, a FHIR AuditEvent Bundle, or NDJSON of
    /// records or AuditEvents.
    public func search(filters: [(String, String)], format: String) async throws -> Output {
        let format = try Self.format(format, allowed: AuditExport.Format.allCases)
        let query = try query(filters)
        let page = try await openStore().exchanges(query)
        let more = page.nextCursor.map { "more records: --cursor \($0)" }
        switch format {
        case .json: return Output(text: String(decoding: try AuditExport.json(page.records, nextCursor: page.nextCursor), as: UTF8.self) + "\n")
        case .csv: return Output(text: AuditExport.csv(page.records), note: more)
        case .fhir: return Output(text: String(decoding: try AuditExport.fhirBundle(page.records), as: UTF8.self) + "\n", note: more)
        case .ndjson, .fhirNDJSON: return Output(text: String(decoding: try AuditExportStream.encode(page.records, format), as: UTF8.self), note: more)
        }
    }

    /// Every record of the period, oldest first, as one document written a page at a time to
    /// `output` (replaced) or standard output; returns the count.
    public func export(filters: [(String, String)], format: String, output: String?) async throws -> Int {
        let format = try Self.format(format, allowed: AuditExport.Format.allCases)
        let query = try query(filters)
        let store = try await openStore()
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw OperationError("cannot write \(output): check that its folder exists and this user may write there")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        let count = try await AuditExportStream.write(from: store, query: query, format: format) { chunk in try handle.write(contentsOf: chunk) }
        if output != nil { try handle.close() }
        return count
    }

    /// One exchange's record, indented, by its id (the `X-Request-ID`).
    public func show(id: String) async throws -> String {
        guard let uuid = UUID(uuidString: id) else { throw OperationError("'\(id)' is not an exchange id (a UUID)") }
        guard let record = try await openStore().exchange(id: uuid) else { throw OperationError("no exchange has the id \(id)") }
        return try SwitchboardJSON.prettyText(record)
    }

    /// Counts, refusals and latency by provider, consumer, interaction and day, as JSON or CSV.
    public func report(filters: [(String, String)], format: String) async throws -> String {
        let format = try Self.format(format, allowed: [.json, .csv])
        let query = try query(filters)
        let report = try await AuditReport.build(from: try await openStore(), query: query)
        return format == .csv ? report.csv() : String(decoding: try report.json(), as: UTF8.self) + "\n"
    }

    /// Copies a SQLite audit store, in use or not, into the empty (or new) folder `folder`: the
    /// index with SQLite's online backup API, then the journal (after the index, so the copy's
    /// journal holds at least every record its index does), then verifies every chain of the
    /// copy. Returns what was copied and a line per chain. PostgreSQL stores are backed up with
    /// the database's own tools.
    public func backup(to folder: String) async throws -> [String] {
        guard case .store(.sqlite(let path)) = try configuration.storeLocation else {
            throw OperationError("audit backup copies a SQLite audit store; back up a PostgreSQL audit store with pg_dump or "
                                 + "the database's own backups (Docs/operator-guide.md, Backup and restore)")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw OperationError("no audit store at \(path) (audit.store) to back up")
        }
        let destination = URL(fileURLWithPath: folder)
        if let contents = try? FileManager.default.contentsOfDirectory(atPath: destination.path), !contents.isEmpty {
            throw OperationError("\(destination.path) is not empty; give audit backup --to a new or empty folder")
        }
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        let copy = destination.appendingPathComponent(URL(fileURLWithPath: path).lastPathComponent).path
        let pages = try SQLiteDatabase.backup(from: path, to: copy)
        var lines = ["copied the index \(path) to \(copy) (\(pages) pages, SQLite online backup)"]
        if configuration.journal {
            let journal = AuditConfiguration.journalFolder(forStoreAt: path)
            if FileManager.default.fileExists(atPath: journal.path) {
                let copiedJournal = AuditConfiguration.journalFolder(forStoreAt: copy)
                try FileManager.default.copyItem(at: journal, to: copiedJournal)
                lines.append("copied the journal \(journal.path) to \(copiedJournal.path)")
            }
        }
        var copied = configuration
        copied.store = "sqlite:\(copy)"
        let verification = try await AuditOperations(configuration: copied).verify(node: nil)
        guard verification.intact else {
            throw OperationError("the copy in \(destination.path) does not verify; keep the store as it is and try again", details: verification.lines)
        }
        return lines + verification.lines.map { "copy: \($0)" }
    }

    /// Walks every node's chain (or one node's): a line per chain, and whether all are intact.
    /// With `publicKeys` (PEM files), also checks every signed checkpoint in the store and in
    /// `checkpointFile` (the copy outside it, by default `audit.checkpoints.outsideFile` when set)
    /// and says up to which record each chain is proven; without, says how many went unchecked.
    public func verify(node: String?, publicKeys: [String] = [], checkpointFile: String? = nil) async throws -> (lines: [String], intact: Bool) {
        var keys: [String] = []
        for path in publicKeys {
            do { keys.append(try CheckpointKey.publicKey(file: path, setting: "--public-key")) } catch { throw OperationError("--public-key: \(error.message)") }
        }
        let outsidePath = checkpointFile ?? (configuration.checkpoints.outsideFile.isEmpty ? nil : configuration.checkpoints.outsideFile)
        var outside: [AuditCheckpoint] = []
        if let outsidePath {
            do { outside = try CheckpointFile.read(outsidePath) } catch {
                // The configured copy may not exist yet (no checkpoint signed); one asked for must.
                if checkpointFile != nil || FileManager.default.fileExists(atPath: outsidePath) { throw OperationError(error.description) }
            }
        }
        let store = try await openStore()
        let result = try await store.verify(node: node)
        var lines = result.chains.isEmpty ? ["no audit records"] : []
        for chain in result.chains {
            let range = chain.firstSequence.map { "\($0)–\(chain.lastSequence ?? $0)" } ?? "empty"
            let anchor = chain.anchoredAfter.map { ", pruned up to \($0)" } ?? ""
            if let bad = chain.firstBad {
                lines.append("node \(chain.node): BROKEN at record \(bad.sequence) (exchange \(bad.exchangeID)): \(bad.reason.rawValue): \(bad.detail)")
            } else {
                lines.append("node \(chain.node): intact, \(chain.records) records (\(range)\(anchor))")
            }
        }
        guard !keys.isEmpty else {
            let unchecked = try await store.checkpoints(node: node).count
            if unchecked > 0 {
                lines.append("\(unchecked) signed checkpoint\(unchecked == 1 ? "" : "s") not checked: give --public-key to prove the chains against them")
            }
            return (lines, result.isIntact)
        }
        let checkpoints = try await CheckpointVerification.check(store: store, chains: result, publicKeys: Set(keys), outside: outside, node: node)
        for checked in checkpoints.nodes {
            for problem in checked.problems {
                lines.append("node \(checked.node): checkpoint of record \(problem.checkpoint.sequence) signed \(Timestamp.rfc3339(problem.checkpoint.signedAt)) "
                             + "by \(problem.checkpoint.keyID): \(problem.kind.rawValue.uppercased()): \(problem.detail)")
            }
            let pruned = checked.beforeAnchor > 0 ? "; \(checked.beforeAnchor) more cover records since pruned" : ""
            if let proven = checked.provenThrough {
                let since = checked.lastSequence - proven.sequence
                lines.append("node \(checked.node): proven through record \(proven.sequence) by the checkpoint signed \(Timestamp.rfc3339(proven.signedAt)) "
                             + "by \(proven.keyID) (\(Self.checkpoints(checked.verified))\(pruned)); "
                             + (since > 0 ? "\(since) records since are not signed yet" : "no record after it"))
            } else {
                lines.append("node \(checked.node): not proven: no checkpoint by a trusted key holds (\(Self.checkpoints(checked.verified))\(pruned))")
            }
        }
        return (lines, result.isIntact && checkpoints.holds)
    }

    /// Removes records older than `olderThanDays` (or `audit.retentionDays`); the chains record
    /// where they were cut. Returns a line for the cut and one per node.
    public func prune(olderThanDays: Int?) async throws -> [String] {
        guard let days = olderThanDays ?? (configuration.retentionDays > 0 ? configuration.retentionDays : nil), days > 0 else {
            throw OperationError("no retention period: set audit.retentionDays or give --older-than-days")
        }
        let store = try await openStore()
        let cutoff = Date().addingTimeInterval(-Double(days) * 86_400)
        let result = try await store.prune(before: cutoff, actor: CommandLineOperator.actor)
        return ["removed \(result.removed) records received before \(Timestamp.rfc3339(cutoff))"]
            + result.anchors.sorted(by: { $0.key < $1.key }).map { node, anchor in "node \(node): chain now continues after record \(anchor.afterSequence)" }
    }
}

extension AuditOperations {
    /// "1 checkpoint holds", "3 checkpoints hold".
    static func checkpoints(_ count: Int) -> String {
        count == 1 ? "1 checkpoint holds" : "\(count) checkpoints hold"
    }

    /// Makes a checkpoint key pair: the private key at `privateKeyPath`, readable by its owner
    /// only, and the public key at `publicKeyPath`, for whoever verifies. Refuses to replace
    /// either file.
    public static func makeCheckpointKey(privateKeyPath: String, publicKeyPath: String) throws -> [String] {
        try refuseToReplace([privateKeyPath, publicKeyPath])
        let key = CheckpointKey.generate()
        try writeNewFile(key.privateKeyPEM(), to: privateKeyPath, permissions: 0o600)
        try writeNewFile(key.publicKeyPEM(), to: publicKeyPath, permissions: 0o644)
        return ["checkpoint key \(key.id)",
                "private key: \(privateKeyPath) (owner only; point audit.checkpoints.signingKey at it, keep it out of the database and its backups)",
                "public key:  \(publicKeyPath) (publish it; `switchboard audit verify --public-key \(publicKeyPath)` proves the chains with it)"]
    }

    /// Makes the key of the NHS number look-ups at `path`, readable by its owner only. Refuses to
    /// replace a file: records looked up with the old key could no longer be found.
    public static func makeNHSNumberKey(path: String) throws -> [String] {
        try refuseToReplace([path])
        try writeNewFile(NHSNumberKey.generateFileContents(), to: path, permissions: 0o600)
        return ["NHS number look-up key: \(path) (owner only; point audit.nhsNumberKey at it on every node, keep it out of the database and its backups)"]
    }

    private static func refuseToReplace(_ paths: [String]) throws {
        for path in paths where FileManager.default.fileExists(atPath: path) {
            throw OperationError("\(path) exists already: a key is never overwritten; choose another file, or remove it if it was never used")
        }
    }

    private static func writeNewFile(_ text: String, to path: String, permissions: Int) throws {
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: path).deletingLastPathComponent(), withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: permissions]) else {
            throw OperationError("cannot write \(path): check that its folder is writable")
        }
    }
}
