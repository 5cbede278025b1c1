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
        var authorization = authorization
        // nil: not a bearer token; .some(nil): not a JWT of JSON objects.
        let parsed: (header: JSONValue, claims: JSONValue, signed: Bool)?? = authorization.withUTF8 { bytes in
            guard bytes.count > 7, Self.hasBearerPrefix(bytes) else { return .none }
            let token = UnsafeBufferPointer(rebasing: bytes[7...])
            guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
                  let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
                  firstDot > token.startIndex, secondDot > firstDot + 1,
                  !token[(secondDot + 1)...].contains(UInt8(ascii: ".")),
                  let header = Self.base64URLDecode(UnsafeBufferPointer(rebasing: token[..<firstDot])).flatMap({ JSONValue.parse($0) }),
                  let claims = Self.base64URLDecode(UnsafeBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])).flatMap({ JSONValue.parse($0) }),
                  header.isObject, claims.isObject
            else { return .some(nil) }
            return (header, claims, secondDot + 1 < token.endIndex)
        }
        guard let parsed else { throw .invalidHeader(SSPHeaders.authorization) }
        guard let (header, claims, signed) = parsed else { throw .invalidJWT("STRUCTURE") }
        guard header["alg"]?.string == "none" else { throw .invalidJWT("ALG") }
        if let type = header["typ"], type.string?.uppercased() != "JWT" { throw .invalidJWT("TYP") }
        guard !signed else { throw .invalidJWT("SIGNATURE_PRESENT") }

        for claim in Self.requiredClaims where claims[claim] == nil || claims[claim]?.isNull == true {
            throw .invalidJWT("MISSING_CLAIM_\(claim)")
        }
        let issuer = try string(claims, "iss")
        let subject = try string(claims, "sub")
        let audience = try string(claims, "aud")
        let issuedAt = try wholeNumber(claims, "iat")
        let expires = try wholeNumber(claims, "exp")
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

        let device = try object(claims, "requesting_device")
        guard device["resourceType"]?.string == "Device", let deviceIdentifier = device["identifier"]?.array?.first,
              let deviceSystem = deviceIdentifier["system"]?.string, let deviceValue = deviceIdentifier["value"]?.string,
              let model = device["model"]?.string, let version = device["version"]?.string
        else { throw .invalidJWT("REQUESTING_DEVICE") }

        let organisation = try object(claims, "requesting_organization")
        guard organisation["resourceType"]?.string == "Organization", let organisationName = organisation["name"]?.string,
              let ods = Self.identifier(in: organisation, system: Self.odsSystem)
        else { throw .invalidJWT("REQUESTING_ORGANIZATION") }

        let practitioner = try object(claims, "requesting_practitioner")
        guard practitioner["resourceType"]?.string == "Practitioner", let practitionerID = practitioner["id"]?.string,
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

    private func string(_ claims: JSONValue, _ claim: String) throws(ProxyRefusal) -> String {
        guard let value = claims[claim]?.string, !value.isEmpty else { throw .invalidJWT("CLAIM_TYPE_\(claim)") }
        return value
    }

    private func wholeNumber(_ claims: JSONValue, _ claim: String) throws(ProxyRefusal) -> Int {
        guard let value = claims[claim]?.wholeNumber else { throw .invalidJWT("CLAIM_TYPE_\(claim)") }
        return value
    }

    private func object(_ claims: JSONValue, _ claim: String) throws(ProxyRefusal) -> JSONValue {
        guard let value = claims[claim], value.isObject else { throw .invalidJWT("CLAIM_TYPE_\(claim)") }
        return value
    }

    static func identifier(in resource: JSONValue, system: String) -> String? {
        resource["identifier"]?.array?.first { $0["system"]?.string == system }.flatMap { $0["value"]?.string }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A HumanName object, or an array of them (STU3 allows both shapes in the wild); needs
    /// `family`; `family` and `given` may each be a string or an array of strings.
    static func humanName(_ value: JSONValue?) -> String? {
        guard let name = value?.isObject == true ? value : value?.array?.first else { return nil }
        func strings(_ value: JSONValue?) -> [String] {
            value?.string.map { [$0] } ?? value?.array?.compactMap(\.string) ?? []
        }
        guard let family = strings(name["family"]).first, !family.isEmpty else { return nil }
        return (strings(name["given"]) + [family]).joined(separator: " ")
    }

    static func hasBearerPrefix(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        zip(bytes, "bearer ".utf8).allSatisfy { $0 | 0x20 == $1 | 0x20 } && bytes.count >= 7
    }

    /// Decodes unpadded base64url (RFC 4648 §5); refuses padding, other alphabets and
    /// non-canonical trailing bits.
    static func base64URLDecode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits: UInt32 = 0
        for byte in text {
            let value: UInt32
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(byte - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(byte - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = UInt32(byte - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            accumulator = (accumulator << 6 | value) & 0xFFFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> bits))
            }
        }
        guard accumulator & ((1 << bits) - 1) == 0 else { return nil }
        return output
    }
}
