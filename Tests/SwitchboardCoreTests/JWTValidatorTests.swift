import Foundation
import SwitchboardCore
import SwitchboardTesting
import Testing

/// The GP Connect audit JWT rules, one by one, without the network.
@Suite struct JWTValidatorTests {
    static let now = 1_790_000_000
    static let audience = SampleDirectory.practiceAddress
    let validator = JWTValidator(clockSkewSeconds: 60)
    /// A slot search's scope.
    let scope = "organization/*.read"

    func validate(_ change: (inout TestJWT) -> Void = { _ in }, authorization: String? = nil) throws(JWTError) -> JWTValidator.Claims {
        var token = TestJWT(audience: Self.audience, issuedAt: Self.now)
        change(&token)
        return try validator.validate(authorization: authorization ?? token.authorization, scope: scope, now: Self.now)
    }

    /// The code of the rule the token breaks, or nil when it is valid.
    func refusal(_ change: (inout TestJWT) -> Void = { _ in }, authorization: String? = nil) -> String? {
        do {
            _ = try validate(change, authorization: authorization)
            return nil
        } catch {
            return error.code
        }
    }

    @Test func aValidTokenGivesWhoAskedAndWhy() throws {
        let claims = try validate()
        #expect(claims.audience == Self.audience)
        #expect(claims.party.userID == "111222333444")
        #expect(claims.party.userRoleProfileID == "444555666777")
        #expect(claims.party.userName == "Claire Jones")
        #expect(claims.party.organisationODS == "RYE")
        #expect(claims.party.organisationName == "Consumer organisation name")
        #expect(claims.party.device == "https://consumersupplier.com/Id/device-identifier|CONS-APP-4 Consumer product name 5.3.0")
        #expect(claims.party.reasonForRequest == "directcare")
        #expect(claims.party.requestedScope == "organization/*.read")
        #expect(claims.party.issuer == "https://consumer.thirdparty.nhs.uk/")
    }

    @Test func acceptedVariations() throws {
        #expect(refusal(authorization: "bEaReR " + TestJWT(audience: Self.audience, issuedAt: Self.now).token) == nil)
        #expect(refusal { $0.claims["iat"] = Double(Self.now); $0.claims["exp"] = Double(Self.now + 300) } == nil, "whole numbers written as decimals")
        #expect(refusal { $0.header["typ"] = nil } == nil, "typ is optional")
        #expect(refusal { $0.header["typ"] = "jwt" } == nil)
        #expect(refusal { $0.claims["requested_scope"] = "organization/*.read conf/N" } == nil)
        #expect(refusal { $0.claims["reason_for_request"] = "migration" } == nil)
        #expect(refusal { $0.claims["iat"] = Self.now + 50; $0.claims["exp"] = Self.now + 350 } == nil, "within the clock skew")
        #expect(refusal { token in
            var practitioner = token.claims["requesting_practitioner"] as! [String: any Sendable]
            practitioner["name"] = ["family": "Jones", "given": "Claire"] as [String: any Sendable]
            token.claims["requesting_practitioner"] = practitioner
        } == nil, "a single HumanName object with a single given name")
    }

    @Test(arguments: [
        ("Basic dXNlcjpwYXNz", "NOT_BEARER"),
        ("Bearer", "NOT_BEARER"),
        ("Bearer abc", "STRUCTURE"),
        ("Bearer a.b", "STRUCTURE"),
        ("Bearer a.b.c.d", "STRUCTURE"),
        ("Bearer .e30.", "STRUCTURE"),
        ("Bearer eyJhbGciOiJub25lIn0=.e30.", "STRUCTURE"),
        ("Bearer eyJhbGciOiJub25lIn0.bm90IGpzb24.", "STRUCTURE"),
        ("Bearer eyJhbGciOiJub25lIn0.WzFd.", "STRUCTURE"),
    ])
    func malformedTokens(authorization: String, code: String) {
        #expect(refusal(authorization: authorization) == code)
    }

    @Test func headerRules() {
        #expect(refusal { $0.header["alg"] = "HS256" } == "ALG")
        #expect(refusal { $0.header["alg"] = nil } == "ALG")
        #expect(refusal { $0.header["typ"] = "JWS" } == "TYP")
        #expect(refusal { $0.header["typ"] = 1 } == "TYP")
        #expect(refusal(authorization: TestJWT(audience: Self.audience, issuedAt: Self.now).authorization + "c2ln") == "SIGNATURE_PRESENT")
    }

    @Test(arguments: JWTValidator.requiredClaims)
    func everyMandatoryClaimMustBeThere(claim: String) {
        #expect(refusal { $0.claims[claim] = nil } == "MISSING_CLAIM_\(claim)")
        #expect(refusal { $0.claims[claim] = NSNull() } == "MISSING_CLAIM_\(claim)", "null counts as missing")
    }

    @Test func claimTypes() {
        #expect(refusal { $0.claims["iss"] = 7 } == "CLAIM_TYPE_iss")
        #expect(refusal { $0.claims["aud"] = "" } == "CLAIM_TYPE_aud")
        #expect(refusal { $0.claims["iat"] = "\(Self.now)" } == "CLAIM_TYPE_iat")
        #expect(refusal { $0.claims["exp"] = true } == "CLAIM_TYPE_exp")
        #expect(refusal { $0.claims["iat"] = Double(Self.now) + 0.5 } == "CLAIM_TYPE_iat")
        #expect(refusal { $0.claims["requesting_device"] = "a device" } == "CLAIM_TYPE_requesting_device")
        #expect(refusal { $0.claims["requesting_organization"] = [1, 2] } == "CLAIM_TYPE_requesting_organization")
        #expect(refusal { $0.claims["requesting_practitioner"] = 3 } == "CLAIM_TYPE_requesting_practitioner")
    }

    @Test func timeRules() {
        #expect(refusal { $0.claims["exp"] = Self.now + 3600 } == "LIFETIME")
        #expect(refusal { $0.claims["iat"] = Self.now + 120; $0.claims["exp"] = Self.now + 420 } == "IAT_IN_FUTURE")
        #expect(refusal { $0.claims["iat"] = Self.now - 400; $0.claims["exp"] = Self.now - 100 } == "EXPIRED")
    }

    @Test func purposeAndScope() {
        #expect(refusal { $0.claims["reason_for_request"] = "curiosity" } == "REASON_FOR_REQUEST")
        #expect(refusal { $0.claims["requested_scope"] = "patient/*.read" } == "REQUESTED_SCOPE")
        #expect(refusal { $0.claims["requested_scope"] = "organization/*.read conf/X" } == "REQUESTED_SCOPE")
        #expect(refusal { $0.claims["requested_scope"] = "organization/*.read  conf/N" } == "REQUESTED_SCOPE")
    }

    /// Replaces one field of one of the FHIR resources the token carries.
    static func resource(_ claim: String, _ field: String, _ value: (any Sendable)?) -> (inout TestJWT) -> Void {
        { token in
            var resource = token.claims[claim] as! [String: any Sendable]
            resource[field] = value
            token.claims[claim] = resource
        }
    }

    @Test func requestingResources() {
        #expect(refusal(Self.resource("requesting_device", "resourceType", "Organization")) == "REQUESTING_DEVICE")
        #expect(refusal(Self.resource("requesting_device", "model", nil)) == "REQUESTING_DEVICE")
        #expect(refusal(Self.resource("requesting_device", "version", 5)) == "REQUESTING_DEVICE")
        #expect(refusal(Self.resource("requesting_device", "identifier", [] as [String])) == "REQUESTING_DEVICE")
        #expect(refusal(Self.resource("requesting_organization", "name", nil)) == "REQUESTING_ORGANIZATION")
        #expect(refusal(Self.resource("requesting_organization", "identifier",
                                      [["system": "https://example.org/other", "value": "RYE"]] as [[String: String]])) == "REQUESTING_ORGANIZATION")
        #expect(refusal(Self.resource("requesting_practitioner", "id", nil)) == "REQUESTING_PRACTITIONER")
        #expect(refusal(Self.resource("requesting_practitioner", "name", [["given": ["Claire"]]] as [[String: [String]]])) == "REQUESTING_PRACTITIONER")
        #expect(refusal(Self.resource("requesting_practitioner", "identifier",
                                      [["system": "https://fhir.nhs.uk/Id/sds-user-id", "value": "111222333444"]] as [[String: String]]))
                == "REQUESTING_PRACTITIONER", "the SDS role profile id is required")
        #expect(refusal { $0.claims["sub"] = "2" } == "SUB")
    }
}
