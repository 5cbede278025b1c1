import ArgumentParser
import SwitchboardApp

struct RoutesImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Make the directory store equal to a RoutingTables folder.",
        discussion: "Entries in the files are created or updated; entries not in the files are removed. All-or-nothing: one broken rule in any file changes nothing."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The RoutingTables folder (default: directory.routingTables).", valueName: "folder"))
    var folder: String?
    @Flag(help: "Show what would change without writing anything.") var dryRun = false
    @Option(help: "Why, for the change history.") var reason: String?

    func run() async throws {
        for line in try await routesOperations(global).importFolder(folder, dryRun: dryRun, reason: reason) { print(line) }
    }
}

struct RoutesExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write the directory store out as a RoutingTables folder, in canonical form.",
        discussion: "Exporting what was imported gives the same bytes, so the result diffs cleanly against the reviewed files."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The folder to write (default: directory.routingTables).", valueName: "folder"))
    var folder: String?

    func run() async throws {
        print(try await routesOperations(global).exportFolder(folder))
    }
}

struct RoutesValidate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a RoutingTables folder against every rule, without touching the store.",
        discussion: "Prints one line per problem (file:line: entry: field: rule: message) and exits non-zero if there is any."
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The RoutingTables folder (default: directory.routingTables).", valueName: "folder"))
    var folder: String?

    func run() async throws {
        print(try await RoutesOperations.validateFolder(folder, configuration: try global.loadConfiguration()))
    }
}

struct RoutesImportLDIF: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-ldif",
        abstract: "Merge the nhsAs and nhsMhs entries of an SDS LDIF export into the directory.",
        discussion: """
            Systems and endpoints in the file are created or replaced; nothing else is touched. Interactions not in \
            the catalogue are left out and reported. A system's certificate FQDN is the nhsMhsFQDN of the nhsMhs \
            entry sharing its party key. Bad LDIF is reported with its line number and changes nothing.
            """
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The LDIF file.", valueName: "file")) var file: String
    @Flag(help: "Show what would change without writing anything.") var dryRun = false
    @Option(help: "Why, for the change history.") var reason: String?

    func run() async throws {
        for line in try await routesOperations(global).importLDIF(file, dryRun: dryRun, reason: reason) { print(line) }
    }
}
