/// Why a GP Connect audit JWT was refused: one case per rule of DOMAIN.md §3.5.
public enum JWTError: Error, Hashable, Sendable {
    /// `Authorization` is not `Bearer <token>`.
    case notBearer
    /// Not three base64url parts (the last empty) of JSON objects.
    case structure
    case algorithm
    case type
    case signaturePresent
    case missingClaim(String)
    case claimType(String)
    /// `exp` is not `iat` + 300.
    case lifetime
    case issuedInFuture
    case expired
    case reasonForRequest
    case requestedScope
    case requestingDevice
    case requestingOrganization
    case requestingPractitioner
    /// `sub` is not the requesting practitioner's `id`.
    case subject
    /// `aud` is not the service root of the endpoint the request is routed to.
    case audience

    /// The rule's upper-case name, the suffix of the SSP's `INVALID_JWT_…` token (e.g. `EXPIRED`,
    /// `MISSING_CLAIM_iss`); `NOT_BEARER` for ``notBearer``.
    public var code: String {
        switch self {
        case .notBearer: "NOT_BEARER"
        case .structure: "STRUCTURE"
        case .algorithm: "ALG"
        case .type: "TYP"
        case .signaturePresent: "SIGNATURE_PRESENT"
        case .missingClaim(let claim): "MISSING_CLAIM_\(claim)"
        case .claimType(let claim): "CLAIM_TYPE_\(claim)"
        case .lifetime: "LIFETIME"
        case .issuedInFuture: "IAT_IN_FUTURE"
        case .expired: "EXPIRED"
        case .reasonForRequest: "REASON_FOR_REQUEST"
        case .requestedScope: "REQUESTED_SCOPE"
        case .requestingDevice: "REQUESTING_DEVICE"
        case .requestingOrganization: "REQUESTING_ORGANIZATION"
        case .requestingPractitioner: "REQUESTING_PRACTITIONER"
        case .subject: "SUB"
        case .audience: "AUD"
        }
    }
}

/// Checks the GP Connect audit JWT (`Authorization: Bearer <unsigned JWT>`) as DOMAIN.md §3.5
/// describes, and returns the claims that identify who asked and why. Each broken rule throws
/// its ``JWTError``; the proxy answers it with `400 INVALID_JWT_<code>`, a provider with its own.
public struct JWTValidator: Sendable {
    /// How far the consumer's clock may be from ours, in seconds.
    public var clockSkewSeconds: Int

    public static let requiredClaims = [
        "iss", "sub", "aud", "exp", "iat", "reason_for_request", "requested_scope",
        "requesting_device", "requesting_organization", "requesting_practitioner",
    ]
    static let reasons: Set<String> = ["directcare", "migration"]

    public init(clockSkewSeconds: Int = 60) {
        self.clockSkewSeconds = clockSkewSeconds
    }

    /// What a valid token says.
    public struct Claims: Sendable, Hashable {
        /// Who asked and why, for the audit record.
        public var party: RequestingParty
        /// The `aud` claim; authorise checks it names the endpoint the request is routed to.
        public var audience: String
    }

    /// Validates `authorization` for an interaction whose JWT must ask for `scope` (e.g.
    /// `organization/*.read`), at `now` (Unix seconds).
    public func validate(authorization: String, scope requiredScope: String, now: Int) throws(JWTError) -> Claims {
        var authorization = authorization
        // nil: not a bearer token; .some(nil): not a JWT of JSON objects.
        let parsed: (header: JSONValue, claims: JSONValue, signed: Bool)?? = authorization.withUTF8 { bytes in
            guard bytes.count > 7, Self.hasBearerPrefix(bytes) else { return .none }
            let token = UnsafeBufferPointer(rebasing: bytes[7...])
            guard let firstDot = token.firstIndex(of: UInt8(ascii: ".")),
                  let secondDot = token[(firstDot + 1)...].firstIndex(of: UInt8(ascii: ".")),
                  firstDot > token.startIndex, secondDot > firstDot + 1,
                  !token[(secondDot + 1)...].contains(UInt8(ascii: ".")),
                  let header = Base64URL.decode(UnsafeBufferPointer(rebasing: token[..<firstDot])).flatMap({ JSONValue.parse($0) }),
                  let claims = Base64URL.decode(UnsafeBufferPointer(rebasing: token[(firstDot + 1)..<secondDot])).flatMap({ JSONValue.parse($0) }),
                  header.isObject, claims.isObject
            else { return .some(nil) }
            return (header, claims, secondDot + 1 < token.endIndex)
        }
        guard let parsed else { throw .notBearer }
        guard let (header, claims, signed) = parsed else { throw .structure }
        guard header["alg"]?.string == "none" else { throw .algorithm }
        if let type = header["typ"], type.string?.uppercased() != "JWT" { throw .type }
        guard !signed else { throw .signaturePresent }

        for claim in Self.requiredClaims where claims[claim] == nil || claims[claim]?.isNull == true {
            throw .missingClaim(claim)
        }
        let issuer = try string(claims, "iss")
        let subject = try string(claims, "sub")
        let audience = try string(claims, "aud")
        let issuedAt = try wholeNumber(claims, "iat")
        let expires = try wholeNumber(claims, "exp")
        guard expires - issuedAt == 300 else { throw .lifetime }
        guard issuedAt <= now + clockSkewSeconds else { throw .issuedInFuture }
        guard expires >= now - clockSkewSeconds else { throw .expired }
        let reason = try string(claims, "reason_for_request")
        guard Self.reasons.contains(reason) else { throw .reasonForRequest }

        let scope = try string(claims, "requested_scope")
        let scopeParts = scope.split(separator: " ", omittingEmptySubsequences: false)
        guard (1...2).contains(scopeParts.count), scopeParts[0] == requiredScope,
              scopeParts.count == 1 || scopeParts[1] == "conf/N" || scopeParts[1] == "conf/R"
        else { throw .requestedScope }

        let device = try object(claims, "requesting_device")
        guard device["resourceType"]?.string == "Device", let deviceIdentifier = device["identifier"]?.array?.first,
              let deviceSystem = deviceIdentifier["system"]?.string, let deviceValue = deviceIdentifier["value"]?.string,
              let model = device["model"]?.string, let version = device["version"]?.string
        else { throw .requestingDevice }

        let organisation = try object(claims, "requesting_organization")
        guard organisation["resourceType"]?.string == "Organization", let organisationName = organisation["name"]?.string,
              let ods = Self.identifier(in: organisation, system: GPConnect.System.odsCode)
        else { throw .requestingOrganization }

        let practitioner = try object(claims, "requesting_practitioner")
        guard practitioner["resourceType"]?.string == "Practitioner", let practitionerID = practitioner["id"]?.string,
              let name = Self.humanName(practitioner["name"]),
              let sdsUser = Self.identifier(in: practitioner, system: GPConnect.System.sdsUserID),
              let sdsRole = Self.identifier(in: practitioner, system: GPConnect.System.sdsRoleProfileID)
        else { throw .requestingPractitioner }
        guard subject == practitionerID else { throw .subject }

        var party = RequestingParty()
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

    private func string(_ claims: JSONValue, _ claim: String) throws(JWTError) -> String {
        guard let value = claims[claim]?.string, !value.isEmpty else { throw .claimType(claim) }
        return value
    }

    private func wholeNumber(_ claims: JSONValue, _ claim: String) throws(JWTError) -> Int {
        guard let value = claims[claim]?.wholeNumber else { throw .claimType(claim) }
        return value
    }

    private func object(_ claims: JSONValue, _ claim: String) throws(JWTError) -> JSONValue {
        guard let value = claims[claim], value.isObject else { throw .claimType(claim) }
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
}
