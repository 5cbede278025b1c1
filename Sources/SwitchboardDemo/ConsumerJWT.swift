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
            FHIRIdentifier(system: GPConnect.System.sdsUserID, value: "G13579135"),
            FHIRIdentifier(system: GPConnect.System.sdsRoleProfileID, value: "R8000"),
        ], name: [FHIRHumanName(family: "Taylor", given: ["Sam"], prefix: ["Dr"])])
        let claims = Claims(
            iss: "https://adastra-111.secamb.thirdparty.nhs.uk/", sub: practitioner.id, aud: audience, exp: issuedAt + 300, iat: issuedAt,
            reasonForRequest: "directcare", requestedScope: scope,
            requestingDevice: Device(identifier: [FHIRIdentifier(system: "https://adastra.example/Id/device", value: "demo-terminal-1")],
                                      model: "Adastra", version: "3.42"),
            requestingOrganization: Organization(name: organisationName,
                                                  identifier: [FHIRIdentifier(system: GPConnect.System.odsCode, value: organisationODS)]),
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

    struct Device: Encodable {
        var resourceType = "Device"
        var identifier: [FHIRIdentifier]
        var model: String
        var version: String
    }

    struct Organization: Encodable {
        var resourceType = "Organization"
        var name: String
        var identifier: [FHIRIdentifier]
    }

    struct Practitioner: Encodable {
        var resourceType = "Practitioner"
        var id: String
        var identifier: [FHIRIdentifier]
        var name: [FHIRHumanName]
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
