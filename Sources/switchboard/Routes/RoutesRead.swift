import ArgumentParser
import SwitchboardApp

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
        for line in try await routesOperations(global).list(kind: kind, ods: ods, includeRetired: all, json: json) { print(line) }
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
        emit(try await routesOperations(global).show(key: key, kind: kind))
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
        for line in try await routesOperations(global).history(key: key, kind: kind, limit: limit) { print(line) }
    }
}
