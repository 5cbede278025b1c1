import ArgumentParser
import SwitchboardApp

struct Routes: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and change the routing directory: organisations, accredited systems, endpoints, interactions, sharing agreements.",
        discussion: """
            The directory decides who may call which GP practice system for which interaction. Every change is \
            validated as a whole (a change that would break a rule changes nothing), takes effect on running \
            proxies within a second, and is recorded in the history with your user name.

            Typical first steps:
              switchboard routes import RoutingTables     load the reviewed files into the store
              switchboard routes list                     see what is routed
              switchboard routes show 918999198001        one system and its endpoints
            """,
        subcommands: [
            RoutesList.self, RoutesShow.self, RoutesAdd.self, RoutesUpdate.self, RoutesRetire.self,
            RoutesImport.self, RoutesExport.self, RoutesImportLDIF.self, RoutesValidate.self, RoutesHistory.self,
        ]
    )
}

/// Opens the configured directory for a `routes` command.
func routesOperations(_ global: GlobalOptions) async throws -> RoutesOperations {
    try await RoutesOperations.open(try global.loadConfiguration())
}

/// Prints an operation's lines and notes.
func emit(_ output: RoutesOperations.Output) {
    for note in output.notes { printError(note) }
    for line in output.lines { print(line) }
}
