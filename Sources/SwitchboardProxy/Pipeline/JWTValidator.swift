import Foundation
import SwitchboardCore
public import SwitchboardAudit
public import SwitchboardDirectory

/// Checks the GP Connect audit JWT (`Authorization: Bearer <unsigned JWT>`) as DOMAIN.md §3.5
/// describes, and returns the claims that identify who asked and why.
///
/// Each broken rule is a `400` naming it: `INVALID_JWT_STRUCTURE`, `_ALG`, `_MISSING_CLAIM_<claim>`,
/// `_CLAIM_TYPE_<claim>`, `_AUD`, `_LIFETIME`, `_IAT_IN_FUTURE`, `_EXPIRED`, `_REASON_FOR_REQUEST`,
/// `_REQUESTED_SCOPE`, `_REQUESTING_DEVICE`, `_REQUESTING_ORGANIZATION`, `_REQUESTING_PRACTITIONER`, `_SUB`.
public struct JWTValidator: Sendable {
    /// How far the consumer's clock may be from ours, in seconds.
    public var clockSkewSeconds: Int

    public static let requiredClaims = [
        "iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope",
        "requesting_device", "requesting_organization", "requesting_practitioner",
    ]
    static let reasons: Set<String> = ["directcare", "migration"]
    static let odsSystem = "https://fhir.nhs.uk/Id/ods-organization-code"
    static let sdsUserSystem = "https://fhir.nhs.uk/Id/sds-user-id"
    static let sdsRoleSystem = "https://fhir.nhs.uk/Id/sds-role-profile-id"

    public init(clockSkewSeconds: Int = 60) {
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// What a valid token says.
    public struct Claims: Sendable, Hashable {
        /// Who asked and why, for the audit record.
        public var party: ExchangeRecord.RequestingParty
        /// The `aud` claim; authorise checks it names the endpoint the request is routed to.
        public var audience: String
    }

    /// Validates `authorization` for a request for `interaction` at `now` (Unix seconds).
    public func validate(authorization: String, interaction: Interaction, now: Int) throws(ProxyRefusal) -> Claims {
        guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
            throw .invalidHeader(SSPHeaders.authorization)
        }
        let token = authorization.dropFirst(7)
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              let headerData = Self.base64URLDecode(parts[0]), let payloadData = Self.base64URLDecode(parts[1]),
              let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any],
              let claims = (try? JSONSerialization.jsonObject(with: payloadData)) as? [String: Any]
        else { throw .invalidJWT("STRUCTURE") }
        guard header["alg"] as? String == "none" else { throw .invalidJWT("ALG") }
        if let type = header["typ"], (type as? String)?.uppercased() != "JWT" { throw .invalidJWT("TYP") }
        guard parts[2].isEmpty else { throw .invalidJWT("SIGNATURE_PRESENT") }

        for claim in Self.requiredClaims where claims[claim] == nil || claims[claim] is NSNull {
            throw .invalidJWT("MISSING_CLAIM_\(claim)")
        }
        let issuer = try string(claims, "iss")
        let subject = try string(claims, "sub")
        let audience = try string(claims, "aud")
        let issuedAt = try integer(claims, "iat")
        let expires = try integer(claims, "exp")
        guard expires - issuedAt == 300 else { throw .invalidJWT("LIFETIME") }
        guard issuedAt <= now + clockSkewSeconds else { throw .invalidJWT("IAT_IN_FUTURE") }
        guard expires >= now - clockSkewSeconds else { throw .invalidJWT("EXPIRED") }
        let reason = try string(claims, "reason_for_request")
        guard Self.reasons.contains(reason) else { throw .invalidJWT("REASON_FOR_REQUEST") }

        let scope = try string(claims, "requested_scope")
        let scopeParts = scope.split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(scopeParts.count), scopeParts[0] == interaction.scope,
              scopeParts.count == 1 || scopeParts[1] == "conf/N" || scopeParts[1] == "conf/R"
        else { throw .invalidJWT("REQUESTED_SCOPE") }

        guard let device = claims["requesting_device"] as? [String: Any] else { throw .invalidJWT("CLAIM_TYPE_requesting_device") }
        guard device["resourceType"] as? String == "Device", let deviceIdentifiers = device["identifier"] as? [[String: Any]],
              let deviceIdentifier = deviceIdentifiers.first, let deviceSystem = deviceIdentifier["system"] as? String,
              let deviceValue = deviceIdentifier["value"] as? String, let model = device["model"] as? String,
              let version = device["version"] as? String
        else { throw .invalidJWT("REQUESTING_DEVICE") }

        guard let organisation = claims["requesting_organization"] as? [String: Any] else { throw .invalidJWT("CLAIM_TYPE_requesting_organization") }
        guard organisation["resourceType"] as? String == "Organization", let organisationName = organisation["name"] as? String,
              let ods = Self.identifier(in: organisation, system: Self.odsSystem)
        else { throw .invalidJWT("REQUESTING_ORGANIZATION") }

        guard let practitioner = claims["requesting_practitioner"] as? [String: Any] else { throw .invalidJWT("CLAIM_TYPE_requesting_practitioner") }
        guard practitioner["resourceType"] as? String == "Practitioner", let practitionerID = practitioner["id"] as? String,
              let name = Self.humanName(practitioner["name"]),
              let sdsUser = Self.identifier(in: practitioner, system: Self.sdsUserSystem),
              let sdsRole = Self.identifier(in: practitioner, system: Self.sdsRoleSystem)
        else { throw .invalidJWT("REQUESTING_PRACTITIONER") }
        guard subject == practitionerID else { throw .invalidJWT("SUB") }

        var party = ExchangeRecord.RequestingParty()
        party.issuer = issuer
        party.userID = sdsUser
        party.userRoleProfileID = sdsRole
        party.userName = name
        party.organisationODS = ods
        party.organisationName = organisationName
        party.device = "\(deviceSystem)|\(deviceValue) \(model) \(version)"
        party.reasonForRequest = reason
        party.requestedScope = scope
        return Claims(party: party, audience: audience)
    }

    private func string(_ claims: [String: Any], _ claim: String) throws(ProxyRefusal) -> String {
        guard let value = claims[claim] as? String, !value.isEmpty else { throw .invalidJWT("CLAIM_TYPE_\(claim)") }
        return value
    }

    private func integer(_ claims: [String: Any], _ claim: String) throws(ProxyRefusal) -> Int {
        let value = claims[claim]
        if value is Bool || value is String { throw .invalidJWT("CLAIM_TYPE_\(claim)") }
        if let number = value as? Int { return number }
        if let number = value as? Double, let exact = Int(exactly: number) { return exact }
        if let number = value as? NSNumber, let exact = Int(exactly: number.doubleValue) { return exact }
        throw .invalidJWT("CLAIM_TYPE_\(claim)")
    }

    static func identifier(in resource: [String: Any], system: String) -> String? {
        guard let identifiers = resource["identifier"] as? [[String: Any]] else { return nil }
        return identifiers.first { $0["system"] as? String == system }.flatMap { $0["value"] as? String }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A HumanName object, or an array of them (STU3 allows both shapes in the wild); needs `family`.
    static func humanName(_ value: Any?) -> String? {
        let name = (value as? [String: Any]) ?? (value as? [[String: Any]])?.first
        guard let name, let family = name["family"] as? String ?? (name["family"] as? [String])?.first, !family.isEmpty else { return nil }
        let given = (name["given"] as? [String]) ?? (name["given"] as? String).map { [$0] } ?? []
        return (given + [family]).joined(separator: " ")
    }

    /// Decodes unpadded base64url; refuses padding and other alphabets.
    static func base64URLDecode(_ text: Substring) -> Data? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count + 3)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "-"): bytes.append(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): bytes.append(UInt8(ascii: "/"))
            case _ where CharacterRules.isAlphanumeric(byte): bytes.append(byte)
            default: return nil
            }
        }
        switch bytes.count % 4 {
        case 1: return nil
        case 2: bytes += [UInt8(ascii: "="), UInt8(ascii: "=")]
        case 3: bytes.append(UInt8(ascii: "="))
        default: break
        }
        return Data(base64Encoded: Data(bytes))
    }
}
