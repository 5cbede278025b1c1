import Benchmark
import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardAudit
import SwitchboardProxy

/// A slot search as a 111 system sends it through Switchboard.
enum SlotSearch {
    static let base = "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect"
    static let target = "/\(base)/Slot?status=free&start=ge2026-11-27&end=le2026-12-04&_include=Slot:schedule&searchFilter=https://fhir.nhs.uk/Id/ods-organization-code%7CRYE"
    static let interaction = Interaction(id: InteractionID("urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1")!, name: "Search for free slots",
                                         method: .GET, path: try! PathPattern(validating: "/Slot"), scope: "organization/*.read")
    static let now = Int(Date().timeIntervalSince1970)

    /// The GP Connect audit JWT of DOMAIN.md, as a consumer builds it (unsigned).
    static let authorization: String = {
        func encode(_ object: [String: Any]) -> String {
            let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
        }
        let claims: [String: Any] = [
            "iss": "https://consumer.thirdparty.nhs.uk/", "sub": "1", "aud": base, "exp": now + 300, "iat": now,
            "reason_for_request": "directcare", "requested_scope": "organization/*.read",
            "requesting_device": ["resourceType": "Device", "identifier": [["system": "https://consumersupplier.com/Id/device-identifier", "value": "CONS-APP-4"]],
                                  "model": "Consumer product name", "version": "5.3.0"],
            "requesting_organization": ["resourceType": "Organization", "name": "Consumer organisation name",
                                        "identifier": [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RYE"]]],
            "requesting_practitioner": ["resourceType": "Practitioner", "id": "1",
                                        "identifier": [["system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444"],
                                                       ["system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "444555666777"]],
                                        "name": [["family": "Jones", "given": ["Claire"], "prefix": ["Dr"]]]],
        ]
        return "Bearer \(encode(["alg": "none", "typ": "JWT"])).\(encode(claims))."
    }()

    static let headers = HTTPHeaders([
        ("Host", "switchboard.nhs.uk"), ("User-Agent", "Adastra/5.3"), ("Accept", "application/fhir+json"),
        ("Ssp-TraceID", "9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e"), ("Ssp-From", "200000000359"), ("Ssp-To", "918999198001"),
        ("Ssp-InteractionID", "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"), ("Authorization", authorization),
    ])
}

/// One consumer, one practice and the slot-search interaction, as the proxy's snapshot holds them.
enum SlotSearchDirectory {
    static let consumer = ASID(trusted: "200000000359")
    static let practice = ASID(trusted: "918999198001")
    static let snapshot: DirectorySnapshot = {
        var tables = DirectoryTables()
        tables.put(.interaction(SlotSearch.interaction))
        tables.put(.organisation(Organisation(ods: ODSCode(trusted: "RYE"), name: "South East Coast Ambulance Service", kind: .urgentCare)))
        tables.put(.organisation(Organisation(ods: ODSCode(trusted: "A81001"), name: "The Densham Surgery", kind: .gpPractice)))
        tables.put(.system(AccreditedSystem(asid: consumer, ods: ODSCode(trusted: "RYE"), partyKey: PartyKey(trusted: "RYE-0000001"), name: "Adastra",
                                            certificateFQDN: "adastra-111.secamb.thirdparty.nhs.uk", sends: [SlotSearch.interaction.id])))
        tables.put(.system(AccreditedSystem(asid: practice, ods: ODSCode(trusted: "A81001"), partyKey: PartyKey(trusted: "A81001-0000801"), name: "EMIS Web",
                                            receives: [SlotSearch.interaction.id])))
        tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S20001A100001"), partyKey: PartyKey(trusted: "A81001-0000801"), ods: ODSCode(trusted: "A81001"),
                                      address: try! EndpointAddress(validating: SlotSearch.base), interactions: [SlotSearch.interaction.id])))
        tables.put(.agreement(SharingAgreement(id: AgreementID(trusted: "secamb-111"), description: "", consumer: .ods(ODSCode(trusted: "RYE")),
                                               provider: .any, interactions: .any)))
        return DirectorySnapshot(tables: tables, generation: 1)
    }()
    static let client = ClientIdentity(address: "192.0.2.7", certificate: .init(subject: "CN=adastra-111.secamb.thirdparty.nhs.uk",
                                                                              fqdn: "adastra-111.secamb.thirdparty.nhs.uk"))
    static let providerHeaders = HTTPHeaders([("Content-Type", "application/fhir+json;charset=utf-8"), ("Content-Length", "2931"),
                                              ("Cache-Control", "no-store"), ("Date", "Mon, 30 Nov 2026 12:00:00 GMT")])
}

let benchmarks: @Sendable () -> Void = {
    let fast = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds, warmupIterations: 100,
                                       scalingFactor: .kilo, maxDuration: .seconds(5))

    Benchmark("Validate: SSP headers of a slot search", configuration: fast) { benchmark in
        for _ in benchmark.scaledIterations {
            try SSPHeaders.checkNames(SlotSearch.headers)
            let from = try SSPHeaders.sender(SlotSearch.headers)
            blackHole(try SSPHeaders(SlotSearch.headers, from: from))
        }
    }

    Benchmark("Validate: target URL of a slot search (RFC 3986 normalised)", configuration: fast) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try TargetURL(requestTarget: SlotSearch.target))
        }
    }

    Benchmark("Validate: the GP Connect JWT of a slot search", configuration: fast) { benchmark in
        let validator = JWTValidator()
        for _ in benchmark.scaledIterations {
            blackHole(try validator.validate(authorization: SlotSearch.authorization, scope: SlotSearch.interaction.scope, now: SlotSearch.now))
        }
    }

    /// What one exchange computes besides TLS and HTTP framing: its context and the admission
    /// phases, the headers both ways, and the two chain rows (open and complete) with their hashes.
    Benchmark("Exchange: admission, headers both ways and the two chained records of a slot search", configuration: fast) { benchmark in
        let pipeline = ExchangePipeline(identify: IdentifyPhase(), validate: ValidatePhase(jwt: JWTValidator(), now: { SlotSearch.now }),
                                        authorise: AuthorisePhase(), route: RoutePhase(),
                                        throttle: ThrottlePhase(consumers: RateLimiter(defaultLimit: nil), providers: RateLimiter(defaultLimit: nil)))
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: SlotSearch.target, headers: SlotSearch.headers)
        for _ in benchmark.scaledIterations {
            var context = ExchangeContext(id: UUID(), node: "node-1", head: head, client: SlotSearchDirectory.client, snapshot: SlotSearchDirectory.snapshot)
            try pipeline.admit(&context)
            blackHole(HeaderRules.upstreamRequestHeaders(from: head.headers, clientAddress: context.client.address, proxyHost: "switchboard.nhs.uk",
                                                         exchangeID: context.exchangeID, correlationID: context.correlationID ?? context.exchangeID))
            blackHole(HeaderRules.downstreamResponseHeaders(from: SlotSearchDirectory.providerHeaders, exchangeID: context.exchangeID,
                                                            traceID: context.headers?.traceID))
            var previous = String(repeating: "0", count: 64)
            for kind in [AuditEntry.Kind.open, .complete] {
                let content = AuditRowCoding.content(AuditEntry(kind: kind, record: context.record))
                previous = AuditRowCoding.hash(node: "node-1", nodeSequence: 1, previous: previous, content: content)
            }
            blackHole(previous)
        }
    }
}
