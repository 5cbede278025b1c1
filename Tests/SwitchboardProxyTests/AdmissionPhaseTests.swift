import Foundation
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import SwitchboardTesting
import Testing

/// Each admission phase on its own: a context built from a request head, the sample directory and
/// a fixed clock; no listener, no TLS. The live tests (`RefusalTests`, `ForwardingTests`) check the
/// same rules through the real server.
@Suite struct AdmissionPhaseTests {
    /// 2026-11-30T12:00:00Z, in Unix seconds.
    static let now = 1_795_089_600
    static let snapshot = DirectorySnapshot(tables: SampleDirectory.tables, generation: 1)
    static let consumer = ClientIdentity(address: "192.0.2.7",
                                         certificate: .init(subject: "CN=\(SampleDirectory.consumerFQDN)", fqdn: SampleDirectory.consumerFQDN))

    static func headers(interaction: InteractionID = SampleDirectory.slotSearch, to: ASID = SampleDirectory.practiceASID,
                        jwt: TestJWT = TestJWT(audience: SampleDirectory.practiceAddress, issuedAt: now)) -> HTTPHeaders {
        HTTPHeaders([
            ("Host", "switchboard.example"),
            ("Ssp-TraceID", "5a7c5e3e-3f4e-4c1d-9b1e-2f6a8d0c9e11"),
            ("Ssp-From", SampleDirectory.consumerASID.rawValue),
            ("Ssp-To", to.rawValue),
            ("Ssp-InteractionID", interaction.rawValue),
            ("Authorization", jwt.authorization),
        ])
    }

    static func context(_ method: HTTPMethod = .GET, _ fhirRequest: String = "/Slot?status=free", base: String = SampleDirectory.practiceAddress,
                        headers: HTTPHeaders = headers(), client: ClientIdentity = consumer) -> ExchangeContext {
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: "/\(base)\(fhirRequest)", headers: headers)
        return ExchangeContext(id: UUID(), node: "node-a", head: head, client: client, snapshot: snapshot)
    }

    static let validate = ValidatePhase(jwt: JWTValidator(clockSkewSeconds: 5), now: { now })

    /// Runs the phases up to and including `last`; the refusal, if one refused.
    static func admit(_ context: inout ExchangeContext, through last: ExchangePhase, throttle: ThrottlePhase? = nil) -> ProxyRefusal? {
        do throws(ProxyRefusal) {
            try IdentifyPhase().run(&context)
            if last == .identify { return nil }
            try validate.run(&context)
            if last == .validate { return nil }
            try AuthorisePhase().run(&context)
            if last == .authorise { return nil }
            try RoutePhase().run(&context)
            if last == .route { return nil }
            try throttle?.run(&context)
            return nil
        } catch {
            return error
        }
    }

    @Test func identifyWantsACertificateWhoseFQDNIsTheSendersRegisteredOne() {
        var anonymous = Self.context(client: ClientIdentity(address: "192.0.2.7", certificate: nil))
        #expect(Self.admit(&anonymous, through: .identify) == .clientCertificateRequired)

        var impostor = Self.context(client: ClientIdentity(address: "192.0.2.7", certificate: .init(subject: "CN=other.example", fqdn: "other.example")))
        #expect(Self.admit(&impostor, through: .identify)?.token == "ACCESS_DENIED_SSL_MESSAGESENDER_\(SampleDirectory.consumerASID)")

        var context = Self.context()
        #expect(Self.admit(&context, through: .identify) == nil)
        #expect(context.record.fromASID == SampleDirectory.consumerASID)
        #expect(context.record.fromODS == SampleDirectory.consumerODS)
    }

    @Test func validateChecksTheHeadersTheTargetAndTheJWTAtItsClock() {
        var expired = Self.context(headers: Self.headers(jwt: TestJWT(audience: SampleDirectory.practiceAddress, issuedAt: Self.now - 400)))
        #expect(Self.admit(&expired, through: .validate)?.token == "INVALID_JWT_EXPIRED")

        var early = Self.context(headers: Self.headers(jwt: TestJWT(audience: SampleDirectory.practiceAddress, issuedAt: Self.now + 60)))
        #expect(Self.admit(&early, through: .validate)?.token == "INVALID_JWT_IAT_IN_FUTURE")

        var headers = Self.headers()
        headers.remove(name: "Ssp-TraceID")
        var untraced = Self.context(headers: headers)
        #expect(Self.admit(&untraced, through: .validate)?.token == "MISSING_OR_INVALID_HEADER_Ssp-TraceID")

        let unknown = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:search:patient-1")
        var uncatalogued = Self.context(headers: Self.headers(interaction: unknown))
        #expect(Self.admit(&uncatalogued, through: .validate) == .interactionNotInCatalogue(unknown))

        var context = Self.context()
        #expect(Self.admit(&context, through: .validate) == nil)
        #expect(context.record.interaction == SampleDirectory.slotSearch)
        #expect(context.record.traceID == "5a7c5e3e-3f4e-4c1d-9b1e-2f6a8d0c9e11")
        #expect(context.audience == SampleDirectory.practiceAddress)
    }

    @Test func authoriseChecksTheReceiverAndTheSharingAgreement() {
        let stranger = ASID(trusted: "999999999999")
        var unknown = Self.context(headers: Self.headers(to: stranger))
        #expect(Self.admit(&unknown, through: .authorise) == .unknownReceiver(stranger))

        var unshared = Self.context(headers: Self.headers(to: SampleDirectory.otherPracticeASID))
        let refusal = Self.admit(&unshared, through: .authorise)
        #expect(refusal?.rule == "FOT_CHECK_FAILED")
        #expect(refusal?.phase == .authorise)

        var context = Self.context()
        #expect(Self.admit(&context, through: .authorise) == nil)
        #expect(context.endpoint?.address.rawValue == SampleDirectory.practiceAddress)
        #expect(context.record.toODS == SampleDirectory.practiceODS)
    }

    @Test func routeMatchesTheTargetToTheEndpointAndTheInteraction() {
        var elsewhere = Self.context(base: "https://elsewhere.example/A81001/STU3/1/gpconnect")
        let varies = Self.admit(&elsewhere, through: .route)
        #expect(varies?.rule == "ENDPOINT_VARIES_FROM_TARGETURL")
        #expect(varies?.phase == .route)

        var mislabelled = Self.context(.POST, "/Appointment")
        #expect(Self.admit(&mislabelled, through: .route) == .interactionMismatch(SampleDirectory.slotSearch))

        let writeScope = TestJWT(audience: SampleDirectory.practiceAddress, scope: "patient/*.write", issuedAt: Self.now)
        var booking = Self.context(.POST, "/Appointment?_format=json", headers: Self.headers(interaction: SampleDirectory.book, jwt: writeScope))
        #expect(Self.admit(&booking, through: .route) == nil)
        #expect(booking.record.resourceType == "Appointment")
        #expect(booking.record.resourceID == nil)
        #expect(booking.fhirRequest == "/Appointment?_format=json")

        var wrongAudience = Self.context(headers: Self.headers(jwt: TestJWT(audience: "https://elsewhere.example/gpconnect", issuedAt: Self.now)))
        #expect(Self.admit(&wrongAudience, through: .route) == .invalidJWT(.audience))
    }

    @Test func throttleRefusesTheConsumerPastItsBurstAtAFixedClock() {
        let limiter = RateLimiter(defaultLimit: .init(rate: 1, burst: 1))
        let throttle = ThrottlePhase(consumers: limiter, providers: RateLimiter(defaultLimit: nil), nowNanoseconds: { 5_000_000_000 })
        var first = Self.context()
        #expect(Self.admit(&first, through: .throttle, throttle: throttle) == nil)
        var second = Self.context()
        let refusal = Self.admit(&second, through: .throttle, throttle: throttle)
        #expect(refusal?.status == 429)
        #expect(refusal?.headers.first { $0.0 == "X-Rate-Limit-Limit" }?.1 == "1")
        #expect(refusal?.headers.first { $0.0 == "Retry-After" }?.1 == "1")
    }
}
