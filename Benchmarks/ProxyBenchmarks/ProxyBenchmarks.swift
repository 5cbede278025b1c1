import Benchmark
import Foundation
import NIOHTTP1
import SwitchboardCore
import SwitchboardDirectory
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
            blackHole(try validator.validate(authorization: SlotSearch.authorization, interaction: SlotSearch.interaction, now: SlotSearch.now))
        }
    }
}
