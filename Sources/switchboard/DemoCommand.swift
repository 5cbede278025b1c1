import ArgumentParser
import Foundation
import Logging
import SwitchboardApp
import SwitchboardDemo

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole system on this machine and play a 111 booking journey through it.",
        discussion: """
            Makes a development PKI, loads the sample RoutingTables (their endpoint hosts pointed at a local GP \
            practice simulator), starts the simulator, the proxy and the management listener with SQLite stores in \
            the working folder, books an appointment as NHS 111 would, prints each step and its audit records, and \
            keeps serving until Ctrl-C. Docs/getting-started.md walks through what it prints.
            """
    )

    @Option(help: "The working folder (certificates, stores, configuration).") var folder = "var/demo"
    @Option(help: "The RoutingTables folder to load.") var routingTables = "RoutingTables"
    @Option(help: "The GP Connect example payloads the simulator serves.") var fixtures = "../shared/fixtures/gpconnect"
    @Option(help: "The proxy port (0 picks a free one).") var proxyPort = 8443
    @Option(help: "The management port (0 picks a free one).") var managementPort = 9443
    @Flag(help: "Stop after the journey instead of serving (for tests and CI).") var exitAfterJourney = false

    func run() async throws {
        var logger = Logger(label: "switchboard.demo")
        logger.logLevel = .warning
        let options = Demo.Options(folder: URL(fileURLWithPath: folder), routingTables: URL(fileURLWithPath: routingTables),
                                   fixtures: URL(fileURLWithPath: fixtures), proxyPort: proxyPort, managementPort: managementPort,
                                   exitAfterJourney: exitAfterJourney)
        do {
            try await Demo.run(options, logger: logger) { line in print(line) }
        } catch let error as ConfigurationError {
            throw CLIError(error.description)
        }
    }
}

struct JWTCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jwt",
        abstract: "Print a GP Connect audit JWT for trying Switchboard by hand (development only).",
        discussion: "Unsigned (alg none), valid for 300 seconds, for the demo's NHS 111 South East clinician."
    )

    @Option(help: "The provider's service root (the JWT's aud).") var audience: String
    @Option(help: "The requested_scope, e.g. organization/*.read or patient/*.write.") var scope = "organization/*.read"

    func run() async throws {
        print(ConsumerJWT(audience: audience, scope: scope).token)
    }
}
