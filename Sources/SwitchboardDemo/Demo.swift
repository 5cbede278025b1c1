import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle
import SwitchboardAdmin
import SwitchboardApp
import SwitchboardProxy
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardPKI
import SwitchboardSimulator
import UnixSignals
import Yams

/// `switchboard demo`: the whole system on one machine with nothing set up by hand.
///
/// Makes a development PKI, loads the sample RoutingTables (their endpoint hosts pointed at the
/// local GP practice simulator), starts the simulator, the proxy and the management listener with
/// SQLite stores in a working folder, plays a 111 booking journey, prints each step and its audit
/// records, then keeps serving until Ctrl-C.
public enum Demo {
    public struct Options: Sendable {
        public var folder: URL
        public var routingTables: URL
        /// Practices made from the same seed have the same clinicians, patients and slots.
        public var seed: UInt64
        public var proxyPort: Int
        public var managementPort: Int
        public var exitAfterJourney: Bool

        public init(folder: URL, routingTables: URL, seed: UInt64 = Demo.defaultSeed, proxyPort: Int, managementPort: Int,
                    exitAfterJourney: Bool) {
            self.folder = folder
            self.routingTables = routingTables
            self.seed = seed
            self.proxyPort = proxyPort
            self.managementPort = managementPort
            self.exitAfterJourney = exitAfterJourney
        }
    }

    /// The seed the simulated practices are made from unless `--seed` says otherwise.
    public static let defaultSeed: UInt64 = 111

    /// The demo's 111 system: NHS 111 South East's Adastra.
    static let consumerODS = "RYE"
    static let practiceODS = "A81001"

    public static func run(_ options: Options, logger: Logger, print say: @escaping @Sendable (String) -> Void) async throws {
        let folder = options.folder.standardizedFileURL
        let fileManager = FileManager.default
        guard fileManager.fileExists(atPath: options.routingTables.appendingPathComponent("interactions.yaml").path) else {
            throw DemoError("the sample routing tables are not in \(options.routingTables.standardizedFileURL.path): run the demo from the repository's "
                            + "folder (./scripts/demo does), or give --routing-tables the folder that holds interactions.yaml")
        }
        for item in ["directory.sqlite", "directory.sqlite-wal", "directory.sqlite-shm", "audit.sqlite", "audit.sqlite-wal", "audit.sqlite-shm",
                     "management-tokens.json", "RoutingTables", "pki", "checkpoint-key.pem", "checkpoint-key.pub.pem", "checkpoints.jsonl", "nhs-number.key"] {
            try? fileManager.removeItem(at: folder.appendingPathComponent(item))
        }
        try fileManager.createDirectory(at: folder, withIntermediateDirectories: true)
        say("Switchboard demo — working folder \(folder.path)")

        // Certificates.
        let pki = folder.appendingPathComponent("pki")
        let authority = try DevelopmentPKI(commonName: "Switchboard demo CA")
        let providers = try DevelopmentPKI(commonName: "GP practice simulator CA")
        let caPath = try authority.authority.write(to: pki, name: "switchboard-ca").certificate
        let providerCAPath = try providers.authority.write(to: pki, name: "provider-ca").certificate
        let proxyFiles = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server).write(to: pki, name: "proxy")
        let managementFiles = try authority.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server).write(to: pki, name: "management")
        let simulatorFiles = try providers.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server).write(to: pki, name: "simulator")

        // The sample directory, and a client certificate for each consumer system in it.
        let sample = try RoutingTableFiles.read(folder: options.routingTables, validator: DirectoryValidator()).tables
        var consumerFiles: [String: (certificate: String, privateKey: String)] = [:]
        for system in sample.systems.values.sorted(by: { $0.asid < $1.asid }) where !system.sends.isEmpty {
            guard let fqdn = system.certificateFQDN else { continue }
            consumerFiles[system.ods.rawValue] = try authority.issue(commonName: fqdn, dnsNames: [fqdn], usage: .client)
                .write(to: pki, name: "consumer-\(system.ods)")
        }
        say("  made a development CA and certificates in \(pki.path)")

        // The GP practice simulator, for every practice in the sample.
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let practices = sample.systems.values.filter { !$0.receives.isEmpty }.sorted { $0.ods < $1.ods }.map { system in
            GPPracticeSimulator.Practice(ods: system.ods.rawValue, asid: system.asid.rawValue, name: sample.organisations[system.ods]?.name ?? system.name,
                                         systemName: system.name)
        }
        var quiet = logger
        quiet.logLevel = .warning
        let simulator = try GPPracticeSimulator(practices: practices, port: 0, certificate: simulatorFiles.certificate, privateKey: simulatorFiles.privateKey,
                                                seed: options.seed, eventLoopGroup: eventLoopGroup, logger: quiet)
        let simulatorGroup = ServiceGroup(configuration: .init(services: [.init(service: simulator)], logger: quiet))
        try await Self.running(simulatorGroup, until: .bodyEnds) {
            let simulatorPort = try await simulator.localAddress().port!
            say("  started the GP practice simulator on https://localhost:\(simulatorPort) for \(practices.map(\.ods).joined(separator: ", "))")

            // Point every endpoint at the simulator and load the tables.
            var tables = sample
            for var endpoint in tables.endpoints.values {
                endpoint.address = try EndpointAddress(validating: "https://localhost:\(simulatorPort)\(endpoint.address.path)")
                endpoint.fqdn = "localhost"
                tables.put(.endpoint(endpoint))
            }
            let tablesFolder = folder.appendingPathComponent("RoutingTables")
            try RoutingTableFiles.write(tables, to: tablesFolder)

            var configuration = SwitchboardConfiguration()
            configuration.node.id = "demo-1"
            configuration.directory.store = "sqlite:\(folder.appendingPathComponent("directory.sqlite").path)"
            configuration.directory.routingTables = tablesFolder.path
            configuration.directory.endpointPolicy.allowLoopback = true
            configuration.proxy.listen.host = "127.0.0.1"
            configuration.proxy.listen.port = options.proxyPort
            configuration.proxy.tls.certificate = proxyFiles.certificate
            configuration.proxy.tls.privateKey = proxyFiles.privateKey
            configuration.proxy.tls.clientCA = caPath
            configuration.proxy.upstream.caBundle = providerCAPath
            configuration.audit.store = "sqlite:\(folder.appendingPathComponent("audit.sqlite").path)"
            let checkpointKey = folder.appendingPathComponent("checkpoint-key.pem").path
            let checkpointPublicKey = folder.appendingPathComponent("checkpoint-key.pub.pem").path
            _ = try AuditOperations.makeCheckpointKey(privateKeyPath: checkpointKey, publicKeyPath: checkpointPublicKey)
            configuration.audit.checkpoints.signingKey = checkpointKey
            configuration.audit.checkpoints.everySeconds = 10
            configuration.audit.checkpoints.outsideFile = folder.appendingPathComponent("checkpoints.jsonl").path
            configuration.audit.nhsNumberKey = folder.appendingPathComponent("nhs-number.key").path
            _ = try AuditOperations.makeNHSNumberKey(path: configuration.audit.nhsNumberKey)
            configuration.management.port = options.managementPort
            configuration.management.certificate = managementFiles.certificate
            configuration.management.privateKey = managementFiles.privateKey
            configuration.management.tokensFile = folder.appendingPathComponent("management-tokens.json").path
            configuration.logging.level = "warning"
            let configFile = folder.appendingPathComponent("switchboard.yaml")
            try ("# Written by `switchboard demo`; use it with any command: --config \(configFile.path)\n" + YAMLEncoder().encode(configuration))
                .write(to: configFile, atomically: true, encoding: .utf8)

            let operations = DirectoryOperations(configuration: configuration.directory)
            let directory = try await operations.openDirectory()
            let imported = try await operations.importFolder(tablesFolder, into: directory, author: ChangeAuthor(actor: "demo", source: .import))
            say("  loaded \(options.routingTables.path): \(tables.organisations.count) organisations, \(tables.systems.count) systems, "
                + "\(tables.endpoints.count) endpoints (\(imported.count) entries; endpoint hosts pointed at the simulator)")
            let tokens = TokenFile(path: configuration.management.tokensFile)
            let adminToken = try tokens.add(name: "demo-admin", role: .admin, createdBy: "demo")
            let auditorToken = try tokens.add(name: "demo-auditor", role: .auditor, createdBy: "demo")

            // Switchboard itself.
            let runtime = try await SwitchboardRuntime.build(configuration: configuration, logger: quiet)
            let group = ServiceGroup(configuration: .init(services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quiet))
            do {
                try await Self.running(group, until: .groupEnds) {
                    let proxyPort: Int, managementPort: Int
                    do {
                        proxyPort = try await runtime.proxy.localAddress().port!
                        managementPort = try await runtime.management!.localAddress().port!
                    } catch var error as ListenerError {
                        error.setting = error.setting == "proxy.listen.port" ? "--proxy-port (0 picks a free one)" : "--management-port (0 picks a free one)"
                        throw error
                    }
                    say("  Switchboard is serving: proxy https://localhost:\(proxyPort), management https://localhost:\(managementPort)")
                    say("")

                    // The journey, as NHS 111 South East's system would make it.
                    let consumer = sample.systems.values.first { $0.ods.rawValue == consumerODS && !$0.sends.isEmpty }!
                    let practice = sample.systems.values.first { $0.ods.rawValue == practiceODS && !$0.receives.isEmpty }!
                    let practiceName = sample.organisations[practice.ods]?.name ?? practiceODS
                    let client = try makeClient(trusting: caPath, certificate: consumerFiles[consumerODS]!)
                    // The caller is one of the practice's registered patients (made from the same seed).
                    let simulated = SimulatedPractice(practices.first { $0.ods == practiceODS }!, seed: options.seed)
                    let caller = simulated.patients[0].nhsNumber!
                    say("A 111 booking journey: \(sample.organisations[consumer.ods]?.name ?? consumerODS) (ASID \(consumer.asid)) "
                        + "books at \(practiceName) (\(practiceODS), ASID \(practice.asid))")
                    let journey = DemoJourney(client: client, proxy: "https://localhost:\(proxyPort)", practiceODS: practiceODS, practiceName: practiceName,
                                              practiceASID: practice.asid.rawValue, consumerASID: consumer.asid.rawValue, consumerODS: consumerODS,
                                              consumerName: sample.organisations[consumer.ods]?.name ?? consumerODS, nhsNumber: caller)
                    var number = 0
                    let steps: [DemoJourney.Step]
                    do {
                        steps = try await journey.run { step in
                            number += 1
                            let interaction = step.interaction.map { String($0.dropFirst(DemoJourney.prefix.count)) } ?? "(discovery)"
                            say("  \(number). \(step.title.padding(toLength: 34, withPad: " ", startingAt: 0)) \(step.method.padding(toLength: 22, withPad: " ", startingAt: 0)) "
                                + "\(step.status)  \(interaction.padding(toLength: 28, withPad: " ", startingAt: 0)) \(step.note)")
                        }
                    } catch {
                        try? await client.shutdown()
                        throw error
                    }
                    try await client.shutdown()

                    // What the auditor sees.
                    say("")
                    say("The audit trail (\(folder.appendingPathComponent("audit.sqlite").path)):")
                    let store = runtime.auditStore!
                    let records = try await store.exchanges(AuditQuery()).records.reversed()
                    for record in records {
                        let rule = record.refusalToken.map { " \($0)" } ?? ""
                        say("  \(record.id.uuidString.lowercased())  \(record.status.map(String.init) ?? "-")  \(record.outcome.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  "
                            + "\(record.method) \(record.resourceType ?? "")\(record.resourceID.map { "/\($0)" } ?? "")\(rule)")
                    }
                    let verification = try await store.verify(node: nil)
                    say("  hash chain: \(verification.isIntact ? "intact" : "BROKEN"), \(verification.totalRecords) records; \(steps.count) exchanges in the journey")
                    say("  signed checkpoints: every 10 s and when the demo stops, with \(checkpointKey) (public key \(checkpointPublicKey))")
                    if options.exitAfterJourney {
                        await group.triggerGracefulShutdown()
                    } else {
                        let base = "https://localhost:\(simulatorPort)/\(practiceODS)/STU3/1/gpconnect"
                        let files = consumerFiles[consumerODS]!
                        say("")
                        say("Try it yourself (a new JWT each time; the demo keeps serving until Ctrl-C):")
                        say("""
                              JWT=$(swift run -q switchboard jwt --audience \(base) --scope organization/*.read)
                              curl --cacert \(caPath) --cert \(files.certificate) --key \(files.privateKey) \\
                                -H "Ssp-TraceID: $(cat /proc/sys/kernel/random/uuid)" -H "Ssp-From: \(consumer.asid)" -H "Ssp-To: \(practice.asid)" \\
                                -H "Ssp-InteractionID: urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1" -H "Authorization: Bearer $JWT" \\
                                https://localhost:\(proxyPort)/\(base)/metadata

                              curl --cacert \(caPath) -H "Authorization: Bearer \(auditorToken)" https://localhost:\(managementPort)/audit/exchanges?format=csv
                              curl --cacert \(caPath) -H "Authorization: Bearer \(adminToken)" https://localhost:\(managementPort)/admin/endpoints
                              swift run switchboard audit verify --config \(configFile.path) --public-key \(checkpointPublicKey)
                              swift run switchboard audit query --config \(configFile.path) --nhs-number \(caller)
                            """)
                    }
                }
            } catch {
                try? await runtime.upstream.shutdown()
                throw error
            }
            try? await runtime.upstream.shutdown()
        }
        say("Switchboard demo stopped.")
    }

    /// When ``running(_:until:_:)`` stops waiting for its service group.
    enum GroupEnd {
        /// When the body returns: the group is then shut down gracefully.
        case bodyEnds
        /// When the group ends by itself (a signal, or the body triggering its shutdown).
        case groupEnds
    }

    /// Runs `group` beside `body` in a task group. If `body` throws, the group is shut down
    /// gracefully and waited for before the error goes on; nothing outlives the call.
    static func running(_ group: ServiceGroup, until end: GroupEnd, _ body: () async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            do {
                try await body()
            } catch {
                await group.triggerGracefulShutdown()
                try? await tasks.waitForAll()
                throw error
            }
            if end == .bodyEnds { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
    }

    static func makeClient(trusting ca: String, certificate: (certificate: String, privateKey: String)) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        tls.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate.certificate).map { .certificate($0) }
        tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: certificate.privateKey, format: .pem))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow, decompression: .disabled)
        configuration.httpVersion = .http1Only
        return HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }
}

/// Example GP Connect payloads as the demo's simulated practices make them, written to files
/// (`switchboard samples`): for trying Switchboard by hand and for the benchmarks' providers.
public enum Samples {
    /// Writes the examples of the sample practice (A81001) into `folder`; returns the files.
    /// - Parameters:
    ///   - serviceRoot: the provider service root the slot search's `fullUrl`s are under.
    ///   - from: the first day of slots (`YYYY-MM-DD`, Europe/London); today when nil.
    public static func write(to folder: URL, serviceRoot: String, slotDays: Int, from: String?, seed: UInt64) throws -> [URL] {
        let london = SimulatedPractice.londonTimeZone
        let today: Date
        if let from {
            guard let day = FHIRDateTime.parse(from, in: london), from.count == 10 else { throw DemoError("--from '\(from)' must be a date, YYYY-MM-DD") }
            today = day
        } else {
            today = Date()
        }
        guard (1...14).contains(slotDays) else { throw DemoError("--slot-days \(slotDays) must be between 1 and 14 (GP Connect's longest search)") }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let examples = GPConnectExamples(practice: GPConnectExamples.samplePractice, seed: seed, today: today)
        return try examples.files(serviceRoot: serviceRoot, slotDays: slotDays).map { name, data in
            let file = folder.appendingPathComponent(name)
            try data.write(to: file)
            return file
        }
    }
}
