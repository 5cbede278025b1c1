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
        let practitioner = Practitioner(id: "demo-clinician", identifier: [
            Identifier(system: "https://fhir.nhs.uk/Id/sds-user-id", value: "G13579135"),
            Identifier(system: "https://fhir.nhs.uk/Id/sds-role-profile-id", value: "R8000"),
        ], name: [.init(family: "Taylor", given: ["Sam"], prefix: ["Dr"])])
        let claims = Claims(
            iss: "https://adastra-111.secamb.thirdparty.nhs.uk/", sub: practitioner.id, aud: audience, exp: issuedAt + 300, iat: issuedAt,
            reasonForRequest: "directcare", requestedScope: scope,
            requestingDevice: Device(identifier: [Identifier(system: "https://adastra.example/Id/device", value: "demo-terminal-1")],
                                      model: "Adastra", version: "3.42"),
            requestingOrganization: Organization(name: organisationName,
                                                  identifier: [Identifier(system: "https://fhir.nhs.uk/Id/ods-organization-code", value: organisationODS)]),
            requestingPractitioner: practitioner)
        return Self.part(Header()) + "." + Self.part(claims) + "."
    }

    static func part(_ value: some Encodable) -> String {
        Base64URL.encode((try? SwitchboardJSON.encoder().encode(value)) ?? Data())
    }

    // The token's JSON, named as GP Connect names it (DOMAIN.md §3.5).

    struct Header: Encodable {
        var alg = "none"
        var typ = "JWT"
    }

    struct Identifier: Encodable {
        var system: String
        var value: String
    }

    struct Device: Encodable {
        var resourceType = "Device"
        var identifier: [Identifier]
        var model: String
        var version: String
    }

    struct Organization: Encodable {
        var resourceType = "Organization"
        var name: String
        var identifier: [Identifier]
    }

    struct Practitioner: Encodable {
        struct HumanName: Encodable {
            var family: String
            var given: [String]
            var prefix: [String]
        }

        var resourceType = "Practitioner"
        var id: String
        var identifier: [Identifier]
        var name: [HumanName]
    }

    struct Claims: Encodable {
        var iss: String
        var sub: String
        var aud: String
        var exp: Int
        var iat: Int
        var reasonForRequest: String
        var requestedScope: String
        var requestingDevice: Device
        var requestingOrganization: Organization
        var requestingPractitioner: Practitioner

        enum CodingKeys: String, CodingKey {
            case iss, sub, aud, exp, iat
            case reasonForRequest = "reason_for_request"
            case requestedScope = "requested_scope"
            case requestingDevice = "requesting_device"
            case requestingOrganization = "requesting_organization"
            case requestingPractitioner = "requesting_practitioner"
        }
    }
}
