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
    @Option(help: "The seed the simulated practices' clinicians, patients and slots are made from.") var seed: UInt64 = Demo.defaultSeed
    @Option(help: "The proxy port (0 picks a free one).") var proxyPort = 8443
    @Option(help: "The management port (0 picks a free one).") var managementPort = 9443
    @Flag(help: "Stop after the journey instead of serving (for tests and CI).") var exitAfterJourney = false

    func run() async throws {
        var logger = Logger(label: "switchboard.demo")
        logger.logLevel = .warning
        let options = Demo.Options(folder: URL(fileURLWithPath: folder), routingTables: URL(fileURLWithPath: routingTables),
                                   seed: seed, proxyPort: proxyPort, managementPort: managementPort,
                                   exitAfterJourney: exitAfterJourney)
        // One line at a time, also into a pipe or a file, so a watcher sees each step as it happens.
        try await Demo.run(options, logger: logger) { line in
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
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

struct SamplesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samples",
        abstract: "Write example GP Connect payloads as the demo's GP practice simulator makes them.",
        discussion: """
            For The Densham Surgery (A81001): a slot search (slot-search.json), a booking and its answer \
            (book-appointment-request.json, book-appointment-response.json), the CapabilityStatement (metadata.json) and a \
            patient (patient.json). Made in code from the seed, like everything the simulator serves.
            """
    )

    @Option(help: "The folder to write into (made if missing).") var folder: String
    @Option(help: "The provider service root the slot search's fullUrls are under.")
    var serviceRoot = "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect"
    @Option(help: "Days of slots in the slot search (1 to 14).") var slotDays = 14
    @Option(help: "The first day of slots, YYYY-MM-DD (Europe/London); today if not given.") var from: String?
    @Option(help: "The seed the practice is made from.") var seed: UInt64 = Demo.defaultSeed

    func run() async throws {
        for file in try Samples.write(to: URL(fileURLWithPath: folder), serviceRoot: serviceRoot, slotDays: slotDays, from: from, seed: seed) {
            print(file.path)
        }
    }
}
