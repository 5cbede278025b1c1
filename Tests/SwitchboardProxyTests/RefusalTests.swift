import SwitchboardApp
import SwitchboardProxy
import SwitchboardDirectory
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOPosix
import SwitchboardAudit
import SwitchboardCore
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// One test per refusal rule: the status, the OperationOutcome token, one audit record, and
/// nothing forwarded.
@Suite struct RefusalTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var method: HTTPMethod = .GET
        var fhirRequest = "/Slot?status=free"
        var base: String?
        var change: @Sendable (inout [(String, String)], ProxyHarness) -> Void = { _, _ in }
        var status: Int
        var token: String
        var testDescription: String { name }
    }

    static func replacing(_ name: String, with value: String?) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        { headers, _ in
            headers.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
            if let value { headers.append((name, value)) }
        }
    }

    static func jwt(_ change: @escaping @Sendable (inout TestJWT) -> Void) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        { headers, harness in
            var token = TestJWT(audience: harness.practiceAddress)
            change(&token)
            headers.removeAll { $0.0 == "Authorization" }
            headers.append(("Authorization", token.authorization))
        }
    }

    static let cases: [Case] = [
        Case(name: "method outside the SSP's", method: .TRACE, status: 405, token: "METHOD_NOT_ALLOWED"),
        Case(name: "no trace id", change: replacing("Ssp-TraceID", with: nil), status: 400, token: "MISSING_OR_INVALID_HEADER_Ssp-TraceID"),
        Case(name: "trace id not a UUID", change: replacing("Ssp-TraceID", with: "not-a-uuid"), status: 400, token: "MISSING_OR_INVALID_HEADER_Ssp-TraceID"),
        Case(name: "Ssp-From with letters", change: replacing("Ssp-From", with: "20000000035X"), status: 400, token: "MISSING_OR_INVALID_HEADER_Ssp-From"),
        Case(name: "Ssp-To of 100 digits", change: replacing("Ssp-To", with: String(repeating: "9", count: 100)), status: 400, token: "MISSING_OR_INVALID_HEADER_Ssp-To"),
        Case(name: "no interaction", change: replacing("Ssp-InteractionID", with: nil), status: 400, token: "MISSING_OR_INVALID_HEADER_Ssp-InteractionID"),
        Case(name: "no Authorization", change: replacing("Authorization", with: nil), status: 400, token: "MISSING_OR_INVALID_HEADER_Authorization"),
        Case(name: "Authorization not Bearer", change: replacing("Authorization", with: "Basic dXNlcjpwYXNz"), status: 400, token: "MISSING_OR_INVALID_HEADER_Authorization"),
        Case(name: "duplicated Ssp-From", change: { headers, _ in headers.append(("Ssp-From", SampleDirectory.consumerASID.rawValue)) },
             status: 400, token: "DUPLICATE_HEADER_Ssp-From"),
        Case(name: "underscore look-alike header", change: { headers, _ in headers.append(("Ssp_To", "918999198004")) },
             status: 400, token: "INVALID_HEADER_NAME_Ssp_To"),
        Case(name: "interaction not in the catalogue",
             change: replacing("Ssp-InteractionID", with: "urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1"),
             status: 400, token: "INTERACTION_NOT_IN_CATALOGUE_urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1"),
        Case(name: "target URL not https", base: "http://localhost/A81001/STU3/1/gpconnect", status: 400, token: "INVALID_TARGET_URL_NOT_HTTPS"),
        Case(name: "target URL with a dot segment", fhirRequest: "/../Slot", status: 400, token: "INVALID_TARGET_URL_DOT_SEGMENT"),
        Case(name: "target URL with an encoded slash", fhirRequest: "/Slot%2F..", status: 400, token: "INVALID_TARGET_URL_ENCODED_SLASH"),
        Case(name: "expired JWT", change: jwt { $0.claims["iat"] = 1_700_000_000; $0.claims["exp"] = 1_700_000_300 }, status: 400, token: "INVALID_JWT_EXPIRED"),
        Case(name: "JWT with alg HS256", change: jwt { $0.header["alg"] = "HS256" }, status: 400, token: "INVALID_JWT_ALG"),
        Case(name: "JWT lifetime not 300 s", change: jwt { token in token.claims["exp"] = (token.claims["iat"] as! Int) + 3600 }, status: 400, token: "INVALID_JWT_LIFETIME"),
        Case(name: "JWT without requesting_device", change: jwt { $0.claims["requesting_device"] = nil }, status: 400, token: "INVALID_JWT_MISSING_CLAIM_requesting_device"),
        Case(name: "JWT scope for another interaction", change: jwt { $0.claims["requested_scope"] = "patient/*.write" }, status: 400, token: "INVALID_JWT_REQUESTED_SCOPE"),
        Case(name: "JWT sub not the practitioner", change: jwt { $0.claims["sub"] = "someone" }, status: 400, token: "INVALID_JWT_SUB"),
        Case(name: "JWT aud not the endpoint", change: jwt { $0.claims["aud"] = "https://elsewhere.example/A81001/STU3/1/gpconnect" }, status: 400, token: "INVALID_JWT_AUD"),
        Case(name: "sender not accredited for the interaction",
             fhirRequest: "/Appointment/1", change: { headers, harness in headers = harness.sspHeaders(interaction: SampleDirectory.readAppointment, scope: "patient/*.read") },
             status: 403, token: "ASID_CHECK_FAILED_MESSAGESENDER_200000000359"),
        Case(name: "unknown receiver", change: replacing("Ssp-To", with: "918999198777"), status: 400, token: "UNKNOWN_MESSAGERECEIVER_918999198777"),
        Case(name: "receiver does not receive the interaction", method: .POST, fhirRequest: "/Appointment",
             change: { headers, harness in headers = harness.sspHeaders(interaction: SampleDirectory.book, to: SampleDirectory.otherPracticeASID, scope: "patient/*.write") },
             status: 403, token: "PARTYKEY_INTERACTION_CHECK_FAILED_MESSAGERECEIVER_918999198004"),
        Case(name: "no sharing agreement", change: replacing("Ssp-To", with: SampleDirectory.otherPracticeASID.rawValue),
             status: 403, token: "FOT_CHECK_FAILED_MESSAGESENDER_200000000359_MESSAGERECEIVER_918999198004"),
        Case(name: "interaction declared does not fit the method and path", method: .POST, fhirRequest: "/Slot",
             status: 400, token: "INTERACTION_VERB_OR_PATH_MISMATCH_urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1"),
    ]

    @Test(arguments: cases)
    func refusal(_ refusal: Case) async throws {
        try await ProxyHarness.with { harness in
            let traceID = UUID().uuidString
            var headers = harness.sspHeaders(traceID: traceID)
            refusal.change(&headers, harness)
            let body: Data? = refusal.method == .POST ? Data("{}".utf8) : nil
            let response = try await harness.send(refusal.method, refusal.fhirRequest, headers: headers, body: body, base: refusal.base)
            #expect(response.status == refusal.status)
            #expect(response.token == refusal.token)
            #expect(response.headers["Content-Type"] == [OperationOutcome.jsonContentType])
            #expect(response.headers["X-Request-ID"].count == 1)
            #expect(harness.provider.requests.isEmpty)
            let records = await harness.recorder.waitForCompleted(1)
            #expect(records.count == 1)
            #expect(records.first?.outcome == .refused)
            #expect(records.first?.status == refusal.status)
            #expect(records.first?.refusalToken == refusal.token)
            #expect(harness.recorder.opened.isEmpty)
        }
    }

    @Test func targetURLVariesFromTheRegisteredEndpoint() async throws {
        try await ProxyHarness.with { harness in
            for base in [harness.practiceAddress.replacingOccurrences(of: "localhost", with: "127.0.0.1"),
                         harness.practiceAddress.replacingOccurrences(of: "/A81001/", with: "/a81001/")] {
                let response = try await harness.send(.GET, "/Slot", base: base)
                #expect(response.status == 400)
                #expect(response.token == "ENDPOINT_\(harness.practiceAddress)_CPAID_S20001A100001_VARIES_FROM_TARGETURL_\(base)/Slot")
            }
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func certificateFQDNMustMatchTheSender() async throws {
        try await ProxyHarness.with { harness in
            let tls = RawClient.TLS(trustedCA: harness.pki.consumerCA, certificate: harness.pki.otherConsumer.certificate,
                                    privateKey: harness.pki.otherConsumer.privateKey)
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: tls, timeout: .seconds(5))
            #expect(reply.status == 403)
            #expect(reply.text.contains("ACCESS_DENIED_SSL_MESSAGESENDER_200000000359"))
            #expect(harness.provider.requests.isEmpty)
        }
    }

    /// A valid `Ssp-TraceID` is read before anything is checked: whichever phase refuses the
    /// exchange — before the SSP headers are read in full — its record and its answer carry it,
    /// so a search by trace id finds it.
    @Test(arguments: ["no Ssp-To", "TRACE", "no client certificate", "a certificate that is not Ssp-From's"])
    func theTraceIDIsKeptWhateverRefuses(refusal: String) async throws {
        try await ProxyHarness.with { harness in
            let trace = UUID().uuidString.lowercased()
            var headers = harness.sspHeaders(traceID: trace)
            var method = "GET"
            var tls = harness.consumerTLS
            var status = 400
            switch refusal {
            case "no Ssp-To": headers.removeAll { $0.0 == "Ssp-To" }
            case "TRACE": method = "TRACE"; status = 405
            case "no client certificate": tls = RawClient.TLS(trustedCA: harness.pki.consumerCA); status = 496
            default:
                tls = RawClient.TLS(trustedCA: harness.pki.consumerCA, certificate: harness.pki.otherConsumer.certificate,
                                    privateKey: harness.pki.otherConsumer.privateKey)
                status = 403
            }
            let reply = try await RawClient.send(Array(harness.rawRequest(method, headers: headers).utf8), port: harness.port, tls: tls, timeout: .seconds(5))
            #expect(reply.status == status)
            #expect(reply.header("Ssp-TraceID") == trace)
            let record = await harness.record(traceID: trace)
            #expect(record?.status == status, "the record of a \(refusal) refusal is found by its trace id")
            #expect(record?.id.uuidString.lowercased() == reply.header("X-Request-ID"))
        }
    }

    /// Every answer carries `Ssp-TraceID`: the consumer's when it sent exactly one valid UUID,
    /// else the exchange id (as `X-Request-ID`).
    @Test(arguments: ["missing", "empty", "not a UUID", "duplicated"])
    func everyAnswerCarriesATraceID(sent: String) async throws {
        try await ProxyHarness.with { harness in
            var headers = harness.sspHeaders()
            headers.removeAll { $0.0 == "Ssp-TraceID" }
            switch sent {
            case "missing": break
            case "empty": headers.append(("Ssp-TraceID", ""))
            case "not a UUID": headers.append(("Ssp-TraceID", "trace-me"))
            default: headers += [("Ssp-TraceID", UUID().uuidString), ("Ssp-TraceID", UUID().uuidString)]
            }
            let reply = try await RawClient.send(Array(harness.rawRequest(headers: headers).utf8), port: harness.port, tls: harness.consumerTLS,
                                                 timeout: .seconds(5))
            #expect(reply.status == 400)
            let requestID = try #require(reply.header("X-Request-ID"))
            #expect(reply.header("Ssp-TraceID") == requestID)
        }
    }

    @Test func missingClientCertificateIs496() async throws {
        try await ProxyHarness.with { harness in
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: RawClient.TLS(trustedCA: harness.pki.consumerCA),
                                                 timeout: .seconds(5))
            #expect(reply.status == 496)
            #expect(reply.text.contains("CLIENT_CERTIFICATE_REQUIRED"))
            #expect(harness.provider.requests.isEmpty)
            #expect(await harness.recorder.waitForCompleted(1).first?.status == 496)
        }
    }

    @Test(arguments: TestPKI.ConsumerCertificateFault.allCases)
    func aClientCertificateThatIsNotValidForClientsIsRefusedInTheHandshake(fault: TestPKI.ConsumerCertificateFault) async throws {
        try await ProxyHarness.with { harness in
            let files = try harness.pki.consumerCertificate(fault)
            let tls = RawClient.TLS(trustedCA: harness.pki.consumerCA, certificate: files.certificate, privateKey: files.privateKey)
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: tls, timeout: .seconds(15))
            #expect(reply.status == nil, "\(fault): answered \(reply.status ?? 0)")
            #expect(reply.closedByServer || reply.error != nil)
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func untrustedClientCertificateIsRefusedInTheHandshake() async throws {
        try await ProxyHarness.with { harness in
            let tls = RawClient.TLS(trustedCA: harness.pki.consumerCA, certificate: harness.pki.untrusted.certificate, privateKey: harness.pki.untrusted.privateKey)
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: tls, timeout: .seconds(15))
            #expect(reply.status == nil)
            #expect(reply.closedByServer || reply.error != nil)
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func xmlWhenAsked() async throws {
        try await ProxyHarness.with { harness in
            var headers = harness.sspHeaders()
            headers.removeAll { $0.0 == "Ssp-TraceID" || $0.0 == "Accept" }
            headers.append(("Accept", "application/fhir+xml"))
            let response = try await harness.send(headers: headers)
            #expect(response.status == 400)
            #expect(response.headers["Content-Type"] == [OperationOutcome.xmlContentType])
            #expect(response.body.hasPrefix("<OperationOutcome xmlns=\"http://hl7.org/fhir\">"))
            #expect(response.body.contains("<diagnostics value=\"MISSING_OR_INVALID_HEADER_Ssp-TraceID\"/>"))
        }
    }

    @Test func consumerAndProviderThrottles() async throws {
        try await ProxyHarness.with(configure: { $0.proxy.throttle.consumerRequestsPerSecond = 0.001; $0.proxy.throttle.consumerBurst = 2 }) { harness in
            let status1 = try await harness.send().status
            #expect(status1 == 200)
            let status2 = try await harness.send().status
            #expect(status2 == 200)
            let third = try await harness.send()
            #expect(third.status == 429)
            #expect(third.token == "RATE_LIMIT_EXCEEDED_MESSAGESENDER_200000000359")
            #expect(third.headers["X-Rate-Limit-Limit"] == ["2"], "the two requests it may make in one go")
            #expect(third.headers["X-Rate-Limit-Remaining"] == ["0"])
            #expect((1_990...2_000).contains(Int(third.headers["X-Rate-Limit-Reset"].first ?? "") ?? 0), "both tokens back after 2,000 s")
            #expect((990...1_000).contains(Int(third.headers["Retry-After"].first ?? "") ?? 0), "the next one after 1,000 s")
            #expect(harness.provider.requests.count == 2)
        }
        // Five a minute: the sixth request is told it may make 5, all of them again within a minute.
        try await ProxyHarness.with(configure: { $0.proxy.throttle.consumerRequestsPerSecond = 5.0 / 60; $0.proxy.throttle.consumerBurst = 5 }) { harness in
            for _ in 0..<5 { #expect(try await harness.send().status == 200) }
            let sixth = try await harness.send()
            #expect(sixth.status == 429)
            #expect(sixth.headers["X-Rate-Limit-Limit"] == ["5"])
            #expect((50...60).contains(Int(sixth.headers["X-Rate-Limit-Reset"].first ?? "") ?? 0), "\(sixth.headers["X-Rate-Limit-Reset"])")
            #expect((1...12).contains(Int(sixth.headers["Retry-After"].first ?? "") ?? 0))
        }
        try await ProxyHarness.with(configure: { $0.proxy.throttle.providerOverrides = ["918999198001=0.001/1"] }) { harness in
            let status3 = try await harness.send().status
            #expect(status3 == 200)
            let second = try await harness.send()
            #expect(second.status == 503)
            #expect(second.token == "RATE_LIMIT_EXCEEDED_MESSAGERECEIVER_918999198001")
            #expect(Int(second.headers["Retry-After"].first ?? "") ?? 0 > 0)
        }
    }

    @Test func auditStoreFailureIs503AndNothingIsForwarded() async throws {
        try await ProxyHarness.with { harness in
            struct StoreDown: Error {}
            harness.recorder.setFailure(StoreDown())
            let response = try await harness.send()
            #expect(response.status == 503)
            #expect(response.token == "AUDIT_STORE_UNAVAILABLE")
            #expect(harness.provider.requests.isEmpty)
            harness.recorder.setFailure(nil)
            let status4 = try await harness.send().status
            #expect(status4 == 200)
        }
    }
}
