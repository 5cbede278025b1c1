public import Foundation
import SwitchboardCore

/// Builds the GP Connect audit JWT a consumer sends (unsigned, `alg: none`, a new one per
/// request), for the demo journey and for trying Switchboard with curl.
public struct ConsumerJWT: Sendable {
    public var audience: String
    public var scope: String
    public var organisationODS: String
    public var organisationName: String
    public var issuedAt: Int

    public init(audience: String, scope: String, organisationODS: String = "RYE",
                organisationName: String = "South East Coast Ambulance Service NHS Foundation Trust", issuedAt: Int = Int(Date().timeIntervalSince1970)) {
        self.audience = audience
        self.scope = scope
        self.organisationODS = organisationODS
        self.organisationName = organisationName
        self.issuedAt = issuedAt
    }

    public var token: String {
        let claims: [String: Any] = [
            "iss": "https://adastra-111.secamb.thirdparty.nhs.uk/",
            "sub": "demo-clinician",
            "aud": audience,
            "exp": issuedAt + 300,
            "iat": issuedAt,
            "reason_for_request": "directcare",
            "requested_scope": scope,
            "requesting_device": ["resourceType": "Device", "identifier": [["system": "https://adastra.example/Id/device", "value": "demo-terminal-1"]],
                                  "model": "Adastra", "version": "3.42"],
            "requesting_organization": ["resourceType": "Organization", "name": organisationName,
                                        "identifier": [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": organisationODS]]],
            "requesting_practitioner": ["resourceType": "Practitioner", "id": "demo-clinician",
                                        "identifier": [["system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "G13579135"],
                                                       ["system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "R8000"]],
                                        "name": [["family": "Taylor", "given": ["Sam"], "prefix": ["Dr"]]]],
        ]
        return Self.part(["alg": "none", "typ": "JWT"]) + "." + Self.part(claims) + "."
    }

    static func part(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Base64URL.encode(data)
    }
}
