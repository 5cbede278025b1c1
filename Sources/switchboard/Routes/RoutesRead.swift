import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardDirectory

/// Reads an entity kind option ("system", "endpoint", …).
func parseKind(_ text: String?) throws -> EntityKind? {
    guard let text else { return nil }
    guard let kind = EntityKind(rawValue: text) else {
        throw CLIError("kind '\(text)' must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    return kind
}

struct RoutesList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List directory entries, one line each.",
        discussion: "Shows active entries; add --all for retired ones too."
    )

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this kind: organisation, system, endpoint, interaction or agreement.") var kind: String?
    @Option(help: "Only entries of this organisation (ODS code).") var ods: String?
    @Flag(help: "Include retired entries.") var all = false
    @Flag(help: "Print JSON, one entry per line.") var json = false

    func run() async throws {
        let context = try await RoutesContext.open(global)
        let tables = context.directory.snapshot.tables
        var odsFilter: ODSCode?
        if let ods {
            do { odsFilter = try ODSCode(validating: ods) } catch { throw CLIError("--ods: \(error)") }
        }
        let kinds = try parseKind(kind).map { [$0] } ?? EntityKind.allCases
        var printedAny = false
        for kind in kinds {
            let entries = tables.entries.filter { entry in
                entry.ref.kind == kind && (all || entry.status == .active) && (odsFilter.map { belongs(entry, to: $0) } ?? true)
            }
            if json {
                for entry in entries {
                    print("{\"kind\":\"\(kind.rawValue)\",\"entry\":\(String(decoding: try entry.jsonData(), as: UTF8.self))}")
                }
                continue
            }
            guard !entries.isEmpty else { continue }
            if printedAny { print("") }
            printedAny = true
            print(formatTable(header(kind), entries.map(row)))
        }
        if !json && !printedAny { print("no entries (import RoutingTables with `switchboard routes import`)") }
    }

    private func belongs(_ entry: DirectoryEntry, to ods: ODSCode) -> Bool {
        switch entry {
        case .organisation(let o): o.ods == ods
        case .system(let s): s.ods == ods
        case .endpoint(let e): e.ods == ods
        case .interaction: false
        case .agreement(let a): a.consumer == .ods(ods) || a.provider == .ods(ods)
        }
    }

    private func header(_ kind: EntityKind) -> [String] {
        switch kind {
        case .organisation: ["ODS", "KIND", "STATUS", "NAME"]
        case .system: ["ASID", "ODS", "PARTY KEY", "SENDS", "RECEIVES", "STATUS", "NAME"]
        case .endpoint: ["CPA ID", "ODS", "PARTY KEY", "INTERACTIONS", "STATUS", "ADDRESS"]
        case .interaction: ["METHOD", "PATH", "SCOPE", "STATUS", "INTERACTION"]
        case .agreement: ["AGREEMENT", "CONSUMER", "PROVIDER", "INTERACTIONS", "STATUS"]
        }
    }

    private func row(_ entry: DirectoryEntry) -> [String] {
        switch entry {
        case .organisation(let o):
            return [o.ods.rawValue, o.kind.rawValue, o.status.rawValue, o.name]
        case .system(let s):
            return [s.asid.rawValue, s.ods.rawValue, s.partyKey.rawValue, "\(s.sends.count)", "\(s.receives.count)", s.status.rawValue, s.name]
        case .endpoint(let e):
            return [e.cpaID.rawValue, e.ods.rawValue, e.partyKey.rawValue, "\(e.interactions.count)", e.status.rawValue, e.address.rawValue]
        case .interaction(let i):
            return [i.method.rawValue, i.path.rawValue, i.scope, i.status.rawValue, i.id.rawValue]
        case .agreement(let a):
            let interactions = switch a.interactions {
            case .any: "any"
            case .only(let ids): "\(ids.count)"
            }
            return [a.id.rawValue, a.consumer.description, a.provider.description, interactions, a.status.rawValue]
        }
    }
}

struct RoutesShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one entry in full, with the entries it is joined to.",
        discussion: "KEY is an ODS code, ASID, CPA id, interaction URN or agreement id; the kind is found from the key."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The entry's key.") var key: String
    @Option(help: "Look only among this kind (when a key could name two kinds).") var kind: String?

    func run() async throws {
        let context = try await RoutesContext.open(global)
        let tables = context.directory.snapshot.tables
        let matches = (try parseKind(kind).map { [$0] } ?? EntityKind.allCases).compactMap { tables[EntityRef($0, key)] }
        guard let entry = matches.first else { throw CLIError("no directory entry has the key '\(key)'") }
        if matches.count > 1 { printError("note: '\(key)' names \(matches.count) entries; showing the \(entry.ref.kind.displayName) (use --kind)") }
        print(entry.ref.description)
        print(try SwitchboardJSON.prettyText(entry))
        switch entry {
        case .organisation(let o):
            let systems = tables.systems.values.filter { $0.ods == o.ods }.map(\.asid.rawValue).sorted()
            let endpoints = tables.endpoints.values.filter { $0.ods == o.ods }.map(\.cpaID.rawValue).sorted()
            print("systems: \(systems.isEmpty ? "none" : systems.joined(separator: ", "))")
            print("endpoints: \(endpoints.isEmpty ? "none" : endpoints.joined(separator: ", "))")
        case .system(let s):
            for interaction in s.receives {
                let endpoint = context.directory.snapshot.endpoint(partyKey: s.partyKey, interaction: interaction)
                print("route: \(interaction) -> \(endpoint.map { "\($0.address) (\($0.cpaID))" } ?? "no active endpoint")")
            }
        case .endpoint(let e):
            let systems = tables.systems.values.filter { $0.partyKey == e.partyKey }.map(\.asid.rawValue).sorted()
            print("systems with party key \(e.partyKey): \(systems.joined(separator: ", "))")
        case .interaction, .agreement:
            break
        }
    }
}


struct RoutesHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "List recorded changes, newest first: when, who, what, and which fields changed.",
        discussion: "Every change is recorded, from the CLI, the management API, imports and the web console."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "Only changes to the entry with this key.") var key: String?
    @Option(help: "Only changes to this kind of entry.") var kind: String?
    @Option(help: "At most this many changes.") var limit = 50

    func run() async throws {
        let context = try await RoutesContext.open(global)
        let kind = try parseKind(kind)
        var query = HistoryQuery(kind: kind, limit: limit)
        if let key {
            let tables = context.directory.snapshot.tables
            let kinds = kind.map { [$0] } ?? EntityKind.allCases
            let found = kinds.first { tables[EntityRef($0, key)] != nil } ?? kind
            guard let found else { throw CLIError("no directory entry has the key '\(key)' (give --kind for a removed entry)") }
            query.entry = EntityRef(found, key)
        }
        let records = try await reportingErrors { try await context.directory.store.history(query) }
        if records.isEmpty { print("no recorded changes"); return }
        for record in records {
            let when = Timestamp.rfc3339(record.at)
            let reason = record.author.reason.map { " — \($0)" } ?? ""
            print("#\(record.sequence)  \(when)  \(record.author.actor) (\(record.author.source.rawValue))  \(record.action.rawValue)  \(record.ref)\(reason)")
            for line in try fieldChanges(before: record.before, after: record.after) { print("    \(line)") }
        }
    }

    private func fieldChanges(before: DirectoryEntry?, after: DirectoryEntry?) throws -> [String] {
        let encoder = SwitchboardJSON.encoder()
        func fields(_ entry: DirectoryEntry?) throws -> [String: String] {
            guard let entry, case .object(let members)? = JSONValue.parse(Array(try entry.jsonData())) else { return [:] }
            return try Dictionary(members.map { ($0.key, String(decoding: try encoder.encode($0.value), as: UTF8.self)) }) { first, _ in first }
        }
        let old = try fields(before), new = try fields(after)
        return Set(old.keys).union(new.keys).sorted().filter { $0 != "version" && old[$0] != new[$0] }.map { key in
            "\(key): \(old[key] ?? "—") → \(new[key] ?? "—")"
        }
    }
}
