public import Foundation
import SwitchboardCore

/// Builds GP Connect audit JWTs (unsigned, `alg: none`) for tests, with every claim overridable.
public struct TestJWT: Sendable {
    public var claims: [String: any Sendable]
    public var header: [String: any Sendable] = ["alg": "none", "typ": "JWT"]

    /// A valid token for `audience` with `scope`, issued `issuedAt` (Unix seconds).
    public init(audience: String, scope: String = "organization/*.read", issuedAt: Int = Int(Date().timeIntervalSince1970)) {
        claims = [
            "iss": "https://consumer.thirdparty.nhs.uk/",
            "sub": "1",
            "aud": audience,
            "exp": issuedAt + 300,
            "iat": issuedAt,
            "reason_for_request": "directcare",
            "requested_scope": scope,
            "requesting_device": [
                "resourceType": "Device",
                "identifier": [["system": "https://consumersupplier.com/Id/device-identifier", "value": "CONS-APP-4"]] as [[String: String]],
                "model": "Consumer product name",
                "version": "5.3.0",
            ] as [String: any Sendable],
            "requesting_organization": [
                "resourceType": "Organization",
                "name": "Consumer organisation name",
                "identifier": [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "RYE"]] as [[String: String]],
            ] as [String: any Sendable],
            "requesting_practitioner": [
                "resourceType": "Practitioner",
                "id": "1",
                "identifier": [
                    ["system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444"],
                    ["system": "https://fhir.nhs.uk/Id/sds-role-profile-id", "value": "444555666777"],
                    ["system": "https://consumersupplier.com/Id/user-guid", "value": "98ed4f78-814d-4266-8d5b-cde742f3093c"],
                ] as [[String: String]],
                "name": [["family": "Jones", "given": ["Claire"], "prefix": ["Dr"]] as [String: any Sendable]] as [[String: any Sendable]],
            ] as [String: any Sendable],
        ]
    }

    /// The compact form: `base64url(header).base64url(payload).` (empty signature).
    public var token: String {
        "\(Self.encode(header)).\(Self.encode(claims))."
    }

    /// `Bearer <token>`.
    public var authorization: String { "Bearer \(token)" }

    static func encode(_ object: [String: any Sendable]) -> String {
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        return Base64URL.encode(data)
    }
}
