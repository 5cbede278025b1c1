public import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
public import Logging
public import NIOCore
import NIOSSL
public import ServiceLifecycle
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import Synchronization

/// A small GP Connect appointment-management provider over HTTPS, serving one or more practices
/// by ODS code in the base URL (`/<ODS>/STU3/1/gpconnect`), with in-memory slots and
/// appointments built from the published GP Connect examples. It checks what a real provider
/// checks — the interaction header, `Ssp-To`, the JWT, `Accept`/`Content-Type` — and answers
/// errors as GP Connect OperationOutcomes.
public final class GPPracticeSimulator: Service, Sendable {
    /// A practice the simulator serves.
    public struct Practice: Sendable, Hashable {
        public var ods: String
        public var asid: String
        public var name: String

        public init(ods: String, asid: String, name: String) {
            self.ods = ods
            self.asid = asid
            self.name = name
        }
    }

    let application: Application<RouterResponder<BasicRequestContext>>
    private let bound = AwaitedValue<SocketAddress>()

    /// - Parameters:
    ///   - fixtures: the folder of GP Connect example payloads (`shared/fixtures/gpconnect`).
    public init(practices: [Practice], host: String = "127.0.0.1", port: Int, certificate: String, privateKey: String, fixtures: URL,
                eventLoopGroup: any EventLoopGroup, logger: Logger, today: Date = Date()) throws {
        let loaded = try Fixtures(folder: fixtures)
        let book = PracticeBook(practices: practices, fixtures: loaded, today: today)
        let router = Router()
        SimulatorRoutes(book: book, capabilityStatement: loaded.capabilityStatement, patient: loaded.patient).register(on: router)
        var tls = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: privateKey, format: .pem)))
        tls.minimumTLSVersion = .tlsv12
        let bound = self.bound
        application = Application(
            router: router,
            server: try .tls(.http1(), tlsConfiguration: tls),
            configuration: .init(address: .hostname(host, port: port), serverName: "gp-practice-simulator"),
            onServerRunning: { channel in
                if let address = channel.localAddress { bound.set(address) }
            },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    }

    /// The address the simulator listens on, once it does.
    public func localAddress() async -> SocketAddress {
        await bound.value()
    }

    public func run() async throws {
        try await application.run()
    }
}

/// Every practice's appointment book, behind one lock.
final class PracticeBook: Sendable {
    private let states: Mutex<[String: PracticeState]>

    init(practices: [GPPracticeSimulator.Practice], fixtures: Fixtures, today: Date) {
        var states: [String: PracticeState] = [:]
        for practice in practices { states[practice.ods] = PracticeState(practice: practice, fixtures: fixtures, from: today) }
        self.states = Mutex(states)
    }

    func practice(_ ods: String) -> GPPracticeSimulator.Practice? {
        states.withLock { $0[ods]?.practice }
    }

    func with<T>(_ ods: String, _ body: (inout PracticeState) throws -> T) rethrows -> T? {
        try states.withLock { states -> T? in
            guard var state = states[ods] else { return nil }
            defer { states[ods] = state }
            return try body(&state)
        }
    }
}
