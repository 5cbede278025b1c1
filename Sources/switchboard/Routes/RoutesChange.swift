import ArgumentParser
import SwitchboardApp

/// Options every change command shares.
struct ChangeOptions: ParsableArguments {
    @Option(help: "Why, for the change history.") var reason: String?
    @Option(help: "Refuse the change unless the entry is still at this version (see `routes show`).") var expectedVersion: Int?
}

/// Adds one entry of a kind.
struct AddEntry<Options: EntryOptions>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Options.kind.name, abstract: "Add \(Options.kind.article) \(Options.kind.displayName).")
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The new entry's key (\(Options.kind.keyName)).", valueName: "key")) var key: String
    @OptionGroup var fields: Options
    @Option(help: "Why, for the change history.") var reason: String?

    func run() async throws {
        for line in try await routesOperations(global).add(Options.kind, key: key, fields: fields.fields, reason: reason) { print(line) }
    }
}

/// Changes the given fields of one entry of a kind.
struct UpdateEntry<Options: EntryOptions>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: Options.kind.name, abstract: "Change fields of \(Options.kind.article) \(Options.kind.displayName); options not given stay as they are.")
    }

    @OptionGroup var global: GlobalOptions
    @Argument(help: ArgumentHelp("The entry's key (\(Options.kind.keyName)).", valueName: "key")) var key: String
    @OptionGroup var fields: Options
    @Option(help: "active or retired (bring a retired entry back with 'active').") var status: String?
    @OptionGroup var change: ChangeOptions

    func run() async throws {
        for line in try await routesOperations(global).update(Options.kind, key: key, fields: fields.fields, status: status, reason: change.reason,
                                                              expectedVersion: change.expectedVersion) {
            print(line)
        }
    }
}

struct RoutesAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add an organisation, accredited system, endpoint, interaction or sharing agreement.",
        discussion: """
            Examples:
              switchboard routes add organisation A81099 --name "Elm Tree Surgery" --kind gp-practice
              switchboard routes add system 918999198099 --ods A81099 --party-key A81099-0000899 --name "EMIS Web" \\
                  --receives urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1
              switchboard routes add endpoint A81099-0000899-GPC --party-key A81099-0000899 --ods A81099 \\
                  --address https://gpconnect.emis.thirdparty.nhs.uk/A81099/STU3/1/gpconnect \\
                  --interactions urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1
            A system that receives an interaction needs an endpoint that serves it: add both in the order shown, \
            or use `routes import` for several related entries at once.
            """,
        subcommands: [AddEntry<OrganisationOptions>.self, AddEntry<SystemOptions>.self, AddEntry<EndpointOptions>.self,
                      AddEntry<InteractionOptions>.self, AddEntry<AgreementOptions>.self]
    )
}

struct RoutesUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Change fields of an existing entry.",
        discussion: "Example: switchboard routes update endpoint A81001-0000801-GPC --address https://new-host.thirdparty.nhs.uk/A81001/STU3/1/gpconnect",
        subcommands: [UpdateEntry<OrganisationOptions>.self, UpdateEntry<SystemOptions>.self, UpdateEntry<EndpointOptions>.self,
                      UpdateEntry<InteractionOptions>.self, UpdateEntry<AgreementOptions>.self]
    )
}

struct RoutesRetire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire",
        abstract: "Retire an entry: it stays in the directory and its history, but no longer routes.",
        discussion: "Example: switchboard routes retire system 918999198005 --reason \"practice merged\""
    )

    @OptionGroup var global: GlobalOptions
    @Argument(help: "organisation, system, endpoint, interaction or agreement.") var kind: String
    @Argument(help: "The entry's key.") var key: String
    @OptionGroup var change: ChangeOptions

    func run() async throws {
        for line in try await routesOperations(global).retire(kind: kind, key: key, reason: change.reason, expectedVersion: change.expectedVersion) {
            print(line)
        }
    }
}
