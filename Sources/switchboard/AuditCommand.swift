import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardApp
import SwitchboardAudit
import SwitchboardDirectory

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Search, export, report on and verify the audit log of exchanges.",
        discussion: """
            Every exchange through the proxy — forwarded or refused — has one record. Records cannot be changed; \
            each carries a hash chained to the previous record of its node, so `audit verify` proves the log \
            complete and unaltered or names the first record that is not. See Docs/auditor-guide.md.
            """,
        subcommands: [AuditQueryCommand.self, AuditExportCommand.self, AuditShow.self, AuditReportCommand.self, AuditVerify.self, AuditPrune.self]
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
    @Option(help: "Only this node's exchanges.") var node: String?
    @Option(help: "exchanges (the default) or management: calls to the admin and audit APIs.") var scope: String?

    var parameters: [(String, String)] {
        let pairs: [(String, String?)] = [
            ("since", since), ("until", until), ("trace-id", traceID), ("correlation-id", correlationID), ("from-asid", fromASID),
            ("to-asid", toASID), ("asid", asid), ("ods", ods), ("interaction", interaction), ("status", status), ("outcome", outcome),
            ("user-id", userID), ("resource-type", resourceType), ("resource-id", resourceID), ("node", node), ("scope", scope),
        ]
        return pairs.compactMap { name, value in value.map { (name, $0) } }
    }

    func query(extra: [(String, String)] = []) throws -> AuditQuery {
        let query: AuditQuery
        do { query = try AuditQuery(parameters: parameters + extra) } catch { throw CLIError("--\(error.parameter): \(error.message)") }
        // An empty period is an empty answer to the API; from a person it is more likely the two swapped.
        if let since = query.since, let until = query.until, since >= until {
            throw CLIError("--until must be after --since (a date means its whole day: --since 2026-11-01 --until 2026-11-30 is all of November)")
        }
        return query
    }
}

/// Opens the configured audit store for reading.
func openAuditStore(_ global: GlobalOptions) async throws -> any AuditStore {
    let configuration = try global.loadConfiguration()
    return try await AuditOperations(configuration: configuration.audit).openStore()
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
    @Option(help: "json, csv or fhir (a FHIR STU3 AuditEvent Bundle).") var format = "json"

    func run() async throws {
        guard let format = AuditExport.Format(rawValue: format) else { throw CLIError("--format must be json, csv or fhir") }
        var extra = [("limit", "\(limit)")]
        if let cursor { extra.append(("cursor", cursor)) }
        let query = try filters.query(extra: extra)
        let store = try await openAuditStore(global)
        let page = try await store.exchanges(query)
        switch format {
        case .json: print(String(decoding: try AuditExport.json(page.records, nextCursor: page.nextCursor), as: UTF8.self))
        case .csv:
            print(AuditExport.csv(page.records), terminator: "")
            if let next = page.nextCursor { printError("more records: --cursor \(next)") }
        case .fhir:
            print(String(decoding: try AuditExport.fhirBundle(page.records), as: UTF8.self))
            if let next = page.nextCursor { printError("more records: --cursor \(next)") }
        }
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
    @Option(help: "csv, json or fhir (a FHIR STU3 Bundle of AuditEvents).") var format = "csv"
    @Option(help: "The file to write (replaced if it exists); standard output if not given.") var output: String?

    func run() async throws {
        guard let format = AuditExport.Format(rawValue: format) else { throw CLIError("--format must be csv, json or fhir") }
        let query = try filters.query()
        let store = try await openAuditStore(global)
        let handle: FileHandle
        if let output {
            guard FileManager.default.createFile(atPath: output, contents: nil) else {
                throw CLIError("cannot write \(output): check that its folder exists and this user may write there")
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        } else {
            handle = FileHandle.standardOutput
        }
        let count = try await AuditExportStream.write(from: store, query: query, format: format) { chunk in try handle.write(contentsOf: chunk) }
        if output != nil { try handle.close() }
        printError("exported \(count) record\(count == 1 ? "" : "s")\(output.map { " to \($0)" } ?? "")")
    }
}

struct AuditShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Show one exchange's record (by its X-Request-ID).")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The exchange id (the X-Request-ID the consumer received).") var id: String

    func run() async throws {
        guard let uuid = UUID(uuidString: id) else { throw CLIError("'\(id)' is not an exchange id (a UUID)") }
        guard let record = try await openAuditStore(global).exchange(id: uuid) else { throw CLIError("no exchange has the id \(id)") }
        print(try SwitchboardJSON.prettyText(record))
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
        guard format == "json" || format == "csv" else { throw CLIError("--format must be json or csv") }
        let report = try await AuditReport.build(from: try await openAuditStore(global), query: try filters.query())
        if format == "csv" { print(report.csv(), terminator: "") } else { print(String(decoding: try report.json(), as: UTF8.self)) }
    }
}

struct AuditVerify: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Walk every node's hash chain: confirm it unbroken, or name the first record that does not fit.",
        discussion: "Exits 0 when every chain verifies, 1 otherwise (altered, removed or reordered records)."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this node's chain.") var node: String?

    func run() async throws {
        let result = try await openAuditStore(global).verify(node: node)
        if result.chains.isEmpty { print("no audit records") }
        for chain in result.chains {
            let range = chain.firstSequence.map { "\($0)–\(chain.lastSequence ?? $0)" } ?? "empty"
            let anchor = chain.anchoredAfter.map { ", pruned up to \($0)" } ?? ""
            if let bad = chain.firstBad {
                print("node \(chain.node): BROKEN at record \(bad.sequence) (exchange \(bad.exchangeID)): \(bad.reason.rawValue): \(bad.detail)")
            } else {
                print("node \(chain.node): intact, \(chain.records) records (\(range)\(anchor))")
            }
        }
        guard result.isIntact else { throw CLIError("the audit log does not verify") }
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
        let configuration = try global.loadConfiguration()
        guard let days = olderThanDays ?? (configuration.audit.retentionDays > 0 ? configuration.audit.retentionDays : nil), days > 0 else {
            throw CLIError("no retention period: set audit.retentionDays or give --older-than-days")
        }
        let store = try await openAuditStore(global)
        let cutoff = Date().addingTimeInterval(-Double(days) * 86_400)
        let result = try await store.prune(before: cutoff, actor: RoutesContext.author(reason: nil).actor)
        print("removed \(result.removed) records received before \(Timestamp.rfc3339(cutoff))")
        for (node, anchor) in result.anchors.sorted(by: { $0.key < $1.key }) {
            print("node \(node): chain now continues after record \(anchor.afterSequence)")
        }
    }
}
