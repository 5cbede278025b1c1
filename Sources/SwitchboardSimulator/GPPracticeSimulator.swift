public import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
public import Logging
public import NIOCore
import NIOSSL
public import ServiceLifecycle
import SwitchboardCore
import Synchronization

/// A small GP Connect 1.6.0 appointment-management provider over HTTPS, serving one or more
/// practices by ODS code in the base URL (`/<ODS>/STU3/1/gpconnect`). Each practice's clinicians,
/// surgeries, patients and slots are made in code from a seed (``SimulatedPractice``), and its
/// bookings are kept in memory. It checks what a real provider checks — the interaction header,
/// `Ssp-To`, the JWT, `Accept`/`Content-Type` — and answers errors as GP Connect
/// OperationOutcomes.
public final class GPPracticeSimulator: Service, Sendable {
    /// A practice the simulator serves.
    public struct Practice: Sendable, Hashable {
        public var ods: String
        public var asid: String
        public var name: String
        /// The supplier's product the practice runs, e.g. `EMIS Web` (its CapabilityStatement's software).
        public var systemName: String

        public init(ods: String, asid: String, name: String, systemName: String = "GP practice simulator") {
            self.ods = ods
            self.asid = asid
            self.name = name
            self.systemName = systemName
        }
    }

    let application: Application<RouterResponder<BasicRequestContext>>
    let host: String
    let port: Int
    private let bound = AwaitedValue<SocketAddress>()

    /// The seed practices are made from unless another is given.
    public static let defaultSeed: UInt64 = 111

    /// - Parameters:
    ///   - seed: practices made from the same seed have the same clinicians, patients and slots.
    ///   - today: the first day slots are offered (in the practices' time zone).
    public init(practices: [Practice], host: String = "127.0.0.1", port: Int, certificate: String, privateKey: String,
                seed: UInt64 = GPPracticeSimulator.defaultSeed, eventLoopGroup: any EventLoopGroup, logger: Logger, today: Date = Date()) throws {
        self.host = host
        self.port = port
        let book = PracticeBook(practices: practices.map { SimulatedPractice($0, seed: seed) }, today: today)
        let router = Router()
        SimulatorRoutes(book: book).register(on: router)
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

    /// The address the simulator listens on, once it does; throws the ``ListenerError`` when it
    /// cannot bind.
    public func localAddress() async throws -> SocketAddress {
        try await bound.value()
    }

    public func run() async throws {
        do {
            try await application.run()
        } catch where !bound.isSettled {
            let failure = ListenerError(listener: "the GP practice simulator", host: host, port: port, errnoCode: (error as? IOError)?.errnoCode,
                                        detail: "\(error)", setting: "its port setting")
            bound.fail(failure)
            throw failure
        }
    }
}

/// Every practice's appointment book, behind one lock.
final class PracticeBook: Sendable {
    private let states: Mutex<[String: PracticeState]>

    init(practices: [SimulatedPractice], today: Date) {
        var states: [String: PracticeState] = [:]
        for practice in practices { states[practice.practice.ods] = PracticeState(profile: practice, from: today) }
        self.states = Mutex(states)
    }

    /// The practice's book as it stands.
    func state(_ ods: String) -> PracticeState? {
        states.withLock { $0[ods] }
    }

    func with<T>(_ ods: String, _ body: (inout PracticeState) throws -> T) rethrows -> T? {
        try states.withLock { states -> T? in
            guard var state = states[ods] else { return nil }
            defer { states[ods] = state }
            return try body(&state)
        }
    }
}
