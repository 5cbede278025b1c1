import ArgumentParser
import SwitchboardApp

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Search, export, report on and verify the audit log of exchanges.",
        discussion: """
            Every exchange through the proxy — forwarded or refused — has one record. Records cannot be changed; \
            each carries a hash chained to the previous record of its node, so `audit verify` proves the log \
            complete and unaltered or names the first record that is not. See Docs/auditor-guide.md.
            """,
        subcommands: [AuditQueryCommand.self, AuditExportCommand.self, AuditShow.self, AuditReportCommand.self, AuditVerify.self, AuditCheckpointKey.self, AuditNHSNumberKey.self, AuditPrune.self, AuditBackup.self]
    )
}

/// The filters `audit query` and `audit report` share, as options named like the API's parameters.
struct AuditFilterOptions: ParsableArguments {
    @Option(help: "Received at or after: a date (2026-11-26, UTC) or an RFC 3339 time with its zone (2026-11-26T14:00:00Z).") var since: String?
    @Option(help: "Received before: a date (its end) or an RFC 3339 time with its zone.") var until: String?
    @Option(name: .customLong("trace-id"), help: "The consumer's Ssp-TraceID.") var traceID: String?
    @Option(name: .customLong("correlation-id"), help: "The correlation id.") var correlationID: String?
    @Option(name: .customLong("from-asid"), help: "The consumer's ASID (Ssp-From).") var fromASID: String?
    @Option(name: .customLong("to-asid"), help: "The provider's ASID (Ssp-To).") var toASID: String?
    @Option(help: "Either side's ASID.") var asid: String?
    @Option(help: "Either side's ODS code.") var ods: String?
    @Option(help: "The interaction URN.") var interaction: String?
    @Option(help: "The HTTP status sent to the consumer.") var status: String?
    @Option(help: "forwarded, refused, upstream-failed, upstream-timeout, client-closed, answered, interrupted, in-progress.") var outcome: String?
    @Option(name: .customLong("user-id"), help: "The requesting user's SDS user id (from the JWT).") var userID: String?
    @Option(name: .customLong("resource-type"), help: "The FHIR resource type addressed, e.g. Appointment.") var resourceType: String?
    @Option(name: .customLong("resource-id"), help: "The FHIR resource id addressed (or created: see the record's location).") var resourceID: String?
    @Option(name: .customLong("nhs-number"), help: "Exchanges whose request named this NHS number (needs audit.nhsNumberKey).") var nhsNumber: String?
    @Option(help: "Only this node's exchanges.") var node: String?
    @Option(help: "exchanges (the default) or management: calls to the admin and audit APIs.") var scope: String?

    var parameters: [(String, String)] {
        let pairs: [(String, String?)] = [
            ("since", since), ("until", until), ("trace-id", traceID), ("correlation-id", correlationID), ("from-asid", fromASID),
            ("to-asid", toASID), ("asid", asid), ("ods", ods), ("interaction", interaction), ("status", status), ("outcome", outcome),
            ("user-id", userID), ("resource-type", resourceType), ("resource-id", resourceID), ("nhs-number", nhsNumber),
            ("node", node), ("scope", scope),
        ]
        return pairs.compactMap { name, value in value.map { (name, $0) } }
    }
}

/// The audit operations on the configured store.
func auditOperations(_ global: GlobalOptions) throws -> AuditOperations {
    AuditOperations(configuration: try global.loadConfiguration().audit)
}

struct AuditQueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Find exchanges, newest first, one page at a time.",
        discussion: """
            Examples:
              switchboard audit query --trace-id 9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e
              switchboard audit query --resource-type Appointment --resource-id 148
              switchboard audit query --asid 918999198001 --since 2026-11-26 --until 2026-11-26 --format csv
            When more records match, the last line (JSON: nextCursor) gives the --cursor for the next page.
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: AuditFilterOptions
    @Option(help: "Records per page (1–1000).") var limit = 100
    @Option(help: "Continue from a previous page.") var cursor: String?
    @Option(help: "json, csv, fhir (a FHIR STU3 AuditEvent Bundle), ndjson or fhir-ndjson (a line per record).") var format = "json"

    func run() async throws {
        var filters = filters.parameters + [("limit", "\(limit)")]
        if let cursor { filters.append(("cursor", cursor)) }
        let output = try await auditOperations(global).search(filters: filters, format: format)
        print(output.text, terminator: "")
        if let note = output.note { printError(note) }
    }
}

struct AuditExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export every record of a period as one CSV, JSON or FHIR document, oldest first.",
        discussion: """
            One header (CSV), one object (JSON) or one Bundle of AuditEvents (FHIR), however many records match: \
            they are read and written a page at a time, so memory stays flat. Takes the same filters as `audit query`.
            Examples:
              switchboard audit export --since 2026-11-01 --until 2026-11-30 --format csv --output november.csv
              switchboard audit export --since 2026-11-01 --until 2026-11-30 --ods A81001 --format fhir > a81001.json
            """
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: AuditFilterOptions
    @Option(help: "csv, json, fhir (a FHIR STU3 Bundle of AuditEvents), ndjson (a record per line) or fhir-ndjson (an AuditEvent per line).")
    var format = "csv"
    @Option(help: "The file to write (replaced if it exists); standard output if not given.") var output: String?

    func run() async throws {
        let count = try await auditOperations(global).export(filters: filters.parameters, format: format, output: output)
        printError("exported \(count) record\(count == 1 ? "" : "s")\(output.map { " to \($0)" } ?? "")")
    }
}

struct AuditShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one exchange's record (by its X-Request-ID).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The exchange id (the X-Request-ID the consumer received).") var id: String

    func run() async throws {
        print(try await auditOperations(global).show(id: id))
    }
}

struct AuditReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Counts, refusals by rule, error rates and latency percentiles by provider, consumer, interaction and day."
    )

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: AuditFilterOptions
    @Option(help: "json or csv.") var format = "json"

    func run() async throws {
        print(try await auditOperations(global).report(filters: filters.parameters, format: format), terminator: "")
    }
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk every node's hash chain and check its signed checkpoints: say up to which record each chain is proven.",
        discussion: """
            Without --public-key, confirms each chain unbroken or names the first record that does not fit; anyone who can \
            write to the database could still rewrite a chain and its hashes. With --public-key (the PEM public half of \
            audit.checkpoints.signingKey; repeat it for several keys), also checks every signed checkpoint in the store and in \
            the copy outside it (--checkpoints, by default audit.checkpoints.outsideFile): a chain rewritten by someone without \
            the private key, a tail removed, or a checkpoint altered, forged or removed from the store fails. \
            Exits 0 when everything verifies, 1 otherwise.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this node's chain.") var node: String?
    @Option(name: .customLong("public-key"), help: "A checkpoint public key (PEM) to trust; repeat for several.") var publicKeys: [String] = []
    @Option(help: "The checkpoints copied outside the store (one JSON object a line).") var checkpoints: String?

    func run() async throws {
        let (lines, intact) = try await auditOperations(global).verify(node: node, publicKeys: publicKeys, checkpointFile: checkpoints)
        for line in lines { print(line) }
        guard intact else { throw OperationError("the audit log does not verify") }
    }
}

struct AuditCheckpointKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checkpoint-key",
        abstract: "Make an Ed25519 key pair for signing audit checkpoints.",
        discussion: """
            Writes the private key (owner-only) for audit.checkpoints.signingKey and the public key to publish beside the \
            configuration. To rotate, make a new pair, set audit.checkpoints.previousSigningKey to the old private key and \
            signingKey to the new one, and restart: the node signs the hand-over with both.
            """
    )

    @Option(name: .customLong("private-key"), help: "Where to write the private key (PEM).") var privateKey: String
    @Option(name: .customLong("public-key"), help: "Where to write the public key (PEM).") var publicKey: String

    func run() throws {
        for line in try AuditOperations.makeCheckpointKey(privateKeyPath: privateKey, publicKeyPath: publicKey) { print(line) }
    }
}

struct AuditNHSNumberKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nhs-number-key",
        abstract: "Make the key with which records keep a keyed hash of the NHS number their request named.",
        discussion: """
            Writes 32 random bytes (base64, owner-only) for audit.nhsNumberKey. Give every node the same file; keep it out \
            of the database and its backups. Records never hold an NHS number in clear; with the key, \
            `switchboard audit query --nhs-number` and the console find a patient's exchanges.
            """
    )

    @Option(help: "Where to write the key.") var out: String

    func run() throws {
        for line in try AuditOperations.makeNHSNumberKey(path: out) { print(line) }
    }
}

struct AuditPrune: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove records older than the retention period; the chains record where they were cut and still verify.",
        discussion: "Uses audit.retentionDays unless --older-than-days is given. Refuses when no retention is set."
    )

    @OptionGroup var global: GlobalOptions
    @Option(name: .customLong("older-than-days"), help: "Remove records received more than this many days ago.") var olderThanDays: Int?

    func run() async throws {
        for line in try await auditOperations(global).prune(olderThanDays: olderThanDays) { print(line) }
    }
}

struct AuditBackup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy a SQLite audit store, safely while switchboard serve runs, and verify the copy's chains.",
        discussion: """
            Copies the index with SQLite's online backup API, then the journal, into the folder given (new or empty), \
            then walks every chain of the copy. Exits 0 when the copy verifies. To restore, stop the node and put the \
            copied files where audit.store points (Docs/operator-guide.md, Backup and restore). A PostgreSQL audit store \
            is backed up with the database's own tools.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "The folder to copy into (new or empty).") var to: String

    func run() async throws {
        for line in try await auditOperations(global).backup(to: to) { print(line) }
    }
}
