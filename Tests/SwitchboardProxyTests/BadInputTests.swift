import Foundation
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// A corpus of malformed and hostile requests, sent as raw bytes over mutual TLS: each gets its
/// documented 4xx (or, where the framing itself cannot be trusted, an answer and a closed
/// connection), and the provider — which records everything it sees — sees nothing.
@Suite struct BadInputTests {
    /// One hostile request. `build` makes the bytes from the harness (ports and URLs differ per run).
    struct Case: Sendable, CustomTestStringConvertible {
        var category: String
        var name: String
        var status: Int
        /// The OperationOutcome token, or its prefix, when there is an answer to read it from.
        var token: String?
        var build: @Sendable (ProxyHarness) -> [UInt8]
        var testDescription: String { "\(category): \(name)" }
    }

    // MARK: Building requests

    /// A request line, the SSP headers (changed by `headers`), extra lines, and a body.
    static func request(method: String = "GET", target: (@Sendable (ProxyHarness) -> String)? = nil, fhir: String = "/Slot?status=free",
                        headers: @escaping @Sendable (inout [(String, String)], ProxyHarness) -> Void = { _, _ in },
                        extra: [String] = [], body: String = "", lineEnd: String = "\r\n") -> @Sendable (ProxyHarness) -> [UInt8] {
        { harness in
            var fields = harness.sspHeaders()
            headers(&fields, harness)
            let requestTarget = target?(harness) ?? "/\(harness.practiceAddress)\(fhir)"
            var lines = ["\(method) \(requestTarget) HTTP/1.1", "Host: localhost:\(harness.port)"]
            lines += fields.map { "\($0.0): \($0.1)" }
            lines += extra
            return Array((lines.joined(separator: lineEnd) + lineEnd + lineEnd + body).utf8)
        }
    }

    static func replacing(_ name: String, with value: String?) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        { fields, _ in
            fields.removeAll { $0.0.caseInsensitiveCompare(name) == .orderedSame }
            if let value { fields.append((name, value)) }
        }
    }

    static func adding(_ name: String, _ value: String) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        { fields, _ in fields.append((name, value)) }
    }

    static func jwt(_ change: @escaping @Sendable (inout TestJWT) -> Void) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        { fields, harness in
            var token = TestJWT(audience: harness.practiceAddress)
            change(&token)
            fields.removeAll { $0.0 == "Authorization" }
            fields.append(("Authorization", token.authorization))
        }
    }

    static func bearer(_ token: String) -> @Sendable (inout [(String, String)], ProxyHarness) -> Void {
        replacing("Authorization", with: "Bearer \(token)")
    }

    static func base64URL(_ text: String) -> String {
        Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The practice's base URL with `change` applied to its text.
    static func base(_ change: @escaping @Sendable (String) -> String) -> @Sendable (ProxyHarness) -> String {
        { harness in "/\(change(harness.practiceAddress))/Slot?status=free" }
    }

    /// The SSP headers of a booking, so the body is read.
    static let booking: @Sendable (inout [(String, String)], ProxyHarness) -> Void = { fields, harness in
        fields = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write")
    }

    // MARK: The corpus

    static let framing: [Case] = [
        Case(category: "framing", name: "Content-Length with Transfer-Encoding", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: 5", "Transfer-Encoding: chunked"], body: "0\r\n\r\n")),
        Case(category: "framing", name: "two Content-Lengths", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: 5", "Content-Length: 6"], body: "hello")),
        Case(category: "framing", name: "Content-Length list", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: 5, 6"], body: "hello")),
        Case(category: "framing", name: "space before the colon", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length : 5"], body: "hello")),
        Case(category: "framing", name: "negative Content-Length", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: -1"])),
        Case(category: "framing", name: "Content-Length with a sign", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: +5"], body: "hello")),
        Case(category: "framing", name: "Content-Length beyond 64 bits", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Content-Length: 99999999999999999999999"])),
        Case(category: "framing", name: "Transfer-Encoding xchunked", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Transfer-Encoding: xchunked"], body: "0\r\n\r\n")),
        Case(category: "framing", name: "Transfer-Encoding chunked, identity", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Transfer-Encoding: chunked, identity"], body: "0\r\n\r\n")),
        Case(category: "framing", name: "Transfer-Encoding gzip", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Transfer-Encoding: gzip"], body: "0\r\n\r\n")),
        Case(category: "framing", name: "two Transfer-Encodings", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", extra: ["Transfer-Encoding: chunked", "Transfer-Encoding: chunked"], body: "0\r\n\r\n")),
        Case(category: "framing", name: "obs-fold continuation line", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["X-Folded: first", " second"])),
        Case(category: "framing", name: "bare LF line endings", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(lineEnd: "\n")),
        Case(category: "framing", name: "bare CR inside a line", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["X-Note: one\rtwo"])),
        Case(category: "framing", name: "NUL in a header value", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["X-Note: one\u{0}two"])),
        Case(category: "framing", name: "NUL in a forwarded SSP value", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(headers: replacing("Ssp-TraceID", with: "9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e\u{0}"))),
        Case(category: "framing", name: "chunk size overflow", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", fhir: "/Appointment", headers: booking, extra: ["Transfer-Encoding: chunked"], body: "FFFFFFFFFFFFFFFFFF\r\nx\r\n0\r\n\r\n")),
        Case(category: "framing", name: "chunk size not hex", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(method: "POST", fhir: "/Appointment", headers: booking, extra: ["Transfer-Encoding: chunked"], body: "zz\r\nx\r\n0\r\n\r\n")),
        Case(category: "framing", name: "header name with a space", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["X Bad: 1"])),
        Case(category: "framing", name: "header name with a slash", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["X/Bad: 1"])),
        Case(category: "framing", name: "header line without a colon", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: request(extra: ["NoColonHere"])),
        Case(category: "framing", name: "HTTP/2.0 on an HTTP/1.1 connection", status: 400, token: nil,
             build: { harness in Array("GET /\(harness.practiceAddress)/Slot HTTP/2.0\r\nHost: localhost\r\n\r\n".utf8) }),
        Case(category: "framing", name: "version HTTP/9.9", status: 400, token: nil,
             build: { harness in Array("GET /\(harness.practiceAddress)/Slot HTTP/9.9\r\nHost: localhost\r\n\r\n".utf8) }),
        Case(category: "framing", name: "no version", status: 400, token: nil,
             build: { harness in Array("GET /\(harness.practiceAddress)/Slot\r\nHost: localhost\r\n\r\n".utf8) }),
        Case(category: "framing", name: "garbage instead of a request", status: 400, token: "MALFORMED_HTTP_REQUEST",
             build: { _ in Array("\u{16}\u{3}\u{1}\u{0}\u{ff}hello\r\n\r\n".utf8) }),
        Case(category: "framing", name: "a request line 20 KiB long", status: 431, token: nil,
             build: request(fhir: "/Slot?status=free&pad=" + String(repeating: "a", count: 20_000))),
        Case(category: "framing", name: "one header of 17 KiB", status: 431, token: "REQUEST_HEADER_FIELDS_TOO_LARGE",
             build: request(extra: ["X-Big: " + String(repeating: "b", count: 17 * 1024)])),
        Case(category: "framing", name: "headers of 40 KiB in total", status: 431, token: "REQUEST_HEADER_FIELDS_TOO_LARGE",
             build: request(extra: (0..<10).map { "X-Pad-\($0): " + String(repeating: "p", count: 4000) })),
        Case(category: "framing", name: "120 headers", status: 431, token: "REQUEST_HEADER_FIELDS_TOO_LARGE",
             build: request(extra: (0..<120).map { "X-Many-\($0): 1" })),
        Case(category: "framing", name: "a huge JWT", status: 431, token: "REQUEST_HEADER_FIELDS_TOO_LARGE",
             build: request(headers: jwt { $0.claims["iss"] = String(repeating: "i", count: 40_000) })),
        Case(category: "framing", name: "body over the limit", status: 413, token: "REQUEST_BODY_TOO_LARGE",
             build: request(method: "POST", fhir: "/Appointment",
                            headers: { fields, harness in fields = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write") },
                            extra: ["Content-Length: 20000000"])),
        Case(category: "framing", name: "two Host headers", status: 400, token: "DUPLICATE_HEADER_Host",
             build: request(extra: ["Host: evil.example"])),
    ]

    /// Every well-formed method token outside GET, POST, PUT, DELETE, PATCH and OPTIONS is the
    /// SSP's 405 — those the HTTP parser knows (TRACE, PROPFIND) and those it does not (TRACK,
    /// FOO, lower-case get); only a method that is not a token at all is a malformed request.
    static let methods: [Case] = ["TRACE", "PROPFIND", "TRACK", "FOO", "get", "HEAD", "X-CUSTOM.1"].map { method in
        Case(category: "method", name: method, status: 405, token: nil, build: request(method: method))
    } + [
        Case(category: "method", name: "G@T (not a token)", status: 400, token: "MALFORMED_HTTP_REQUEST", build: request(method: "G@T")),
        Case(category: "method", name: "CONNECT", status: 405, token: nil,
             build: { harness in Array("CONNECT localhost:\(harness.provider.port) HTTP/1.1\r\nHost: localhost\r\n\r\n".utf8) }),
    ]

    static let targets: [Case] = {
        func target(_ name: String, _ status: Int, _ token: String?, _ make: @escaping @Sendable (ProxyHarness) -> String) -> Case {
            Case(category: "target URL", name: name, status: status, token: token, build: request(target: make))
        }
        let varies = "ENDPOINT_"
        return [
            target("absolute-form to a metadata service", 400, "INVALID_TARGET_URL_NOT_SSP_FORM", { _ in "http://169.254.169.254/latest/meta-data/" }),
            target("absolute-form https", 400, "INVALID_TARGET_URL_NOT_SSP_FORM", { h in "https://localhost:\(h.provider.port)/A81001/STU3/1/gpconnect/Slot" }),
            target("asterisk-form", 400, nil, { _ in "*" }),
            target("origin-form without the SSP prefix", 400, "INVALID_TARGET_URL_NOT_SSP_FORM", { _ in "/A81001/STU3/1/gpconnect/Slot" }),
            target("plain http provider", 400, "INVALID_TARGET_URL_NOT_HTTPS", { h in "/http://localhost:\(h.provider.port)/A81001/STU3/1/gpconnect/Slot" }),
            target("ftp scheme", 400, "INVALID_TARGET_URL_NOT_SSP_FORM", { h in "/ftp://localhost:\(h.provider.port)/A81001/Slot" }),
            target("upper-case scheme", 400, "INVALID_TARGET_URL_NOT_SSP_FORM", { h in "/HTTPS://localhost:\(h.provider.port)/A81001/STU3/1/gpconnect/Slot" }),
            target("userinfo", 400, "INVALID_TARGET_URL_USERINFO", base { $0.replacingOccurrences(of: "https://", with: "https://admin:secret@") }),
            target("userinfo without password", 400, "INVALID_TARGET_URL_USERINFO", base { $0.replacingOccurrences(of: "https://", with: "https://x@") }),
            target("IPv4 literal for the registered host", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "127.0.0.1") }),
            target("IPv6 literal", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "[::1]") }),
            target("decimal IP", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "2130706433") }),
            target("another port", 400, varies, { h in "/https://localhost:1/A81001/STU3/1/gpconnect/Slot" }),
            target("registered host with :443 added", 400, varies, { _ in "/https://localhost:443/A81001/STU3/1/gpconnect/Slot" }),
            target("upper-case host", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "LOCALHOST") }),
            target("trailing-dot host", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "localhost.") }),
            target("another host", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "evil.example") }),
            target("host prefix trick", 400, varies, base { $0.replacingOccurrences(of: "localhost", with: "localhost.evil.example") }),
            target("encoded host", 400, "INVALID_TARGET_URL_ENCODED_HOST", base { $0.replacingOccurrences(of: "localhost", with: "local%68ost") }),
            target("no host", 400, "INVALID_TARGET_URL_NO_HOST", { _ in "/https:///A81001/STU3/1/gpconnect/Slot" }),
            target("dot-dot segment", 400, "INVALID_TARGET_URL_DOT_SEGMENT", { h in "/\(h.practiceAddress)/../../../etc/passwd" }),
            target("dot segment", 400, "INVALID_TARGET_URL_DOT_SEGMENT", { h in "/\(h.practiceAddress)/./Slot" }),
            target("encoded dot-dot", 400, "INVALID_TARGET_URL_DOT_SEGMENT", { h in "/\(h.practiceAddress)/%2e%2e/Slot" }),
            target("upper-case encoded dot-dot", 400, "INVALID_TARGET_URL_DOT_SEGMENT", { h in "/\(h.practiceAddress)/%2E%2E/Slot" }),
            target("encoded slash", 400, "INVALID_TARGET_URL_ENCODED_SLASH", { h in "/\(h.practiceAddress)/Slot%2f..%2fPatient" }),
            target("encoded backslash", 400, "INVALID_TARGET_URL_ENCODED_SLASH", { h in "/\(h.practiceAddress)/Slot%5C..%5CPatient" }),
            target("empty segment", 400, "INVALID_TARGET_URL_EMPTY_SEGMENT", { h in "/\(h.practiceAddress)//Slot" }),
            target("path leaving the endpoint", 400, varies, { h in "/https://localhost:\(h.provider.port)/B82617/STU3/1/gpconnect/Slot" }),
            target("endpoint as a prefix of a longer segment", 400, varies, { h in "/\(h.practiceAddress)x/Slot" }),
            target("fragment", 400, "INVALID_TARGET_URL_FRAGMENT", { h in "/\(h.practiceAddress)/Slot#frag" }),
            target("space", 400, "MALFORMED_HTTP_REQUEST", { h in "/\(h.practiceAddress)/Slot%20?x=a b" }),
            target("non-ASCII byte", 400, "MALFORMED_HTTP_REQUEST", { h in "/\(h.practiceAddress)/Slöt" }),
            target("backslash", 400, "INVALID_TARGET_URL_CHARACTERS", { h in "/\(h.practiceAddress)\\Slot" }),
            target("quote", 400, "INVALID_TARGET_URL_CHARACTERS", { h in "/\(h.practiceAddress)/Slot?x=\"" }),
            target("truncated percent-encoding", 400, "INVALID_TARGET_URL_PERCENT_ENCODING", { h in "/\(h.practiceAddress)/Slot%4" }),
            target("percent-encoding not hex", 400, "INVALID_TARGET_URL_PERCENT_ENCODING", { h in "/\(h.practiceAddress)/Slot%zz" }),
            target("bad percent-encoding in the query", 400, "INVALID_TARGET_URL_PERCENT_ENCODING", { h in "/\(h.practiceAddress)/Slot?status=%g1" }),
            target("invalid UTF-8 in the path", 400, "INVALID_TARGET_URL_ENCODING", { h in "/\(h.practiceAddress)/Slot/%C3%28" }),
            target("overlong UTF-8 in the path", 400, "INVALID_TARGET_URL_ENCODING", { h in "/\(h.practiceAddress)/%C0%AE%C0%AE/Slot" }),
            target("invalid UTF-8 in the query", 400, "INVALID_TARGET_URL_ENCODING", { h in "/\(h.practiceAddress)/Slot?status=%FF" }),
            target("encoded NUL", 400, nil, { h in "/\(h.practiceAddress)/Slot%00" }),
            target("empty target", 400, nil, { _ in "/" }),
        ]
    }()

    static let tokens: [Case] = {
        func token(_ name: String, _ expected: String, _ change: @escaping @Sendable (inout [(String, String)], ProxyHarness) -> Void) -> Case {
            Case(category: "JWT", name: name, status: 400, token: expected, build: request(headers: change))
        }
        let header = base64URL(#"{"alg":"none","typ":"JWT"}"#)
        var cases = [
            token("alg HS256", "INVALID_JWT_ALG", jwt { $0.header["alg"] = "HS256" }),
            token("alg RS256", "INVALID_JWT_ALG", jwt { $0.header["alg"] = "RS256" }),
            token("alg None (capital)", "INVALID_JWT_ALG", jwt { $0.header["alg"] = "None" }),
            token("alg NONE", "INVALID_JWT_ALG", jwt { $0.header["alg"] = "NONE" }),
            token("alg missing", "INVALID_JWT_ALG", jwt { $0.header["alg"] = nil }),
            token("alg as a number", "INVALID_JWT_ALG", jwt { $0.header["alg"] = 0 }),
            token("typ JWS", "INVALID_JWT_TYP", jwt { $0.header["typ"] = "JWS" }),
            token("a signature with alg none", "INVALID_JWT_SIGNATURE_PRESENT", { fields, harness in
                fields.removeAll { $0.0 == "Authorization" }
                fields.append(("Authorization", TestJWT(audience: harness.practiceAddress).authorization + "c2lnbmF0dXJl"))
            }),
            token("two parts", "INVALID_JWT_STRUCTURE", bearer("\(header).e30")),
            token("four parts", "INVALID_JWT_STRUCTURE", bearer("\(header).e30..")),
            token("padding", "INVALID_JWT_STRUCTURE", bearer("\(header)=.e30.")),
            token("standard base64 alphabet", "INVALID_JWT_STRUCTURE", bearer("\(header).e30+/.")),
            token("payload not JSON", "INVALID_JWT_STRUCTURE", bearer("\(header).\(base64URL("not json")).")),
            token("payload a JSON array", "INVALID_JWT_STRUCTURE", bearer("\(header).\(base64URL("[]")).")),
            token("payload with a duplicated claim", "INVALID_JWT_STRUCTURE", bearer("\(header).\(base64URL(#"{"iss":"a","iss":"b"}"#)).")),
            token("payload nested 1,000 deep", "INVALID_JWT_STRUCTURE",
                  bearer("\(header).\(base64URL(#"{"a":"# + String(repeating: "[", count: 1000) + String(repeating: "]", count: 1000) + "}")).")),
            token("payload with trailing bytes", "INVALID_JWT_STRUCTURE", bearer("\(header).\(base64URL("{}x")).")),
            token("lifetime of an hour", "INVALID_JWT_LIFETIME", jwt { $0.claims["exp"] = ($0.claims["iat"] as! Int) + 3600 }),
            token("expired", "INVALID_JWT_EXPIRED", jwt { $0.claims["iat"] = 1_700_000_000; $0.claims["exp"] = 1_700_000_300 }),
            token("issued in the future", "INVALID_JWT_IAT_IN_FUTURE", jwt { token in
                let later = Int(Date().timeIntervalSince1970) + 3600
                token.claims["iat"] = later
                token.claims["exp"] = later + 300
            }),
            token("iat as a string", "INVALID_JWT_CLAIM_TYPE_iat", jwt { $0.claims["iat"] = "\($0.claims["iat"]!)" }),
            token("exp as a boolean", "INVALID_JWT_CLAIM_TYPE_exp", jwt { $0.claims["exp"] = true }),
            token("aud as an array", "INVALID_JWT_CLAIM_TYPE_aud", jwt { $0.claims["aud"] = ["https://example.org"] }),
            token("aud not the endpoint", "INVALID_JWT_AUD", jwt { $0.claims["aud"] = "https://elsewhere.example/A81001/STU3/1/gpconnect" }),
            token("reason for request not direct care", "INVALID_JWT_REASON_FOR_REQUEST", jwt { $0.claims["reason_for_request"] = "research" }),
            token("scope for writing", "INVALID_JWT_REQUESTED_SCOPE", jwt { $0.claims["requested_scope"] = "patient/*.write" }),
            token("requesting_device a string", "INVALID_JWT_CLAIM_TYPE_requesting_device", jwt { $0.claims["requesting_device"] = "device" }),
            token("requesting_device of another resource type", "INVALID_JWT_REQUESTING_DEVICE", jwt { token in
                var device = token.claims["requesting_device"] as! [String: any Sendable]
                device["resourceType"] = "Patient"
                token.claims["requesting_device"] = device
            }),
            token("requesting_organization without ODS code", "INVALID_JWT_REQUESTING_ORGANIZATION", jwt { token in
                var organisation = token.claims["requesting_organization"] as! [String: any Sendable]
                organisation["identifier"] = [] as [String]
                token.claims["requesting_organization"] = organisation
            }),
            token("requesting_practitioner without SDS ids", "INVALID_JWT_REQUESTING_PRACTITIONER", jwt { token in
                var practitioner = token.claims["requesting_practitioner"] as! [String: any Sendable]
                practitioner["identifier"] = [] as [String]
                token.claims["requesting_practitioner"] = practitioner
            }),
            token("sub not the practitioner", "INVALID_JWT_SUB", jwt { $0.claims["sub"] = "99" }),
            token("Basic credentials", "MISSING_OR_INVALID_HEADER_Authorization", replacing("Authorization", with: "Basic dXNlcjpwYXNz")),
            token("Bearer without a token", "MISSING_OR_INVALID_HEADER_Authorization", replacing("Authorization", with: "Bearer")),
            token("no Authorization", "MISSING_OR_INVALID_HEADER_Authorization", replacing("Authorization", with: nil)),
        ]
        for claim in JWTValidator.requiredClaims {
            cases.append(token("without \(claim)", "INVALID_JWT_MISSING_CLAIM_\(claim)", jwt { $0.claims[claim] = nil }))
        }
        return cases
    }()

    static let sspHeaders: [Case] = {
        func ssp(_ name: String, _ status: Int, _ token: String, _ change: @escaping @Sendable (inout [(String, String)], ProxyHarness) -> Void) -> Case {
            Case(category: "SSP headers", name: name, status: status, token: token, build: request(headers: change))
        }
        var cases: [Case] = []
        for header in ["Ssp-TraceID", "Ssp-From", "Ssp-To", "Ssp-InteractionID", "Authorization"] {
            cases.append(ssp("duplicated \(header)", 400, "DUPLICATE_HEADER_\(header)", { fields, _ in
                if let existing = fields.first(where: { $0.0 == header }) { fields.append(existing) }
            }))
        }
        for (name, value) in [("letters", "20000000035X"), ("100 digits", String(repeating: "9", count: 100)), ("11 digits", "20000000035"),
                              ("a sign", "+20000000035"), ("spaces", "200 000 000 359"), ("empty", "")] {
            cases.append(ssp("Ssp-From with \(name)", 400, "MISSING_OR_INVALID_HEADER_Ssp-From", replacing("Ssp-From", with: value)))
        }
        for (name, value) in [("letters", "91899919800X"), ("100 digits", String(repeating: "9", count: 100)), ("a URL", "https://evil.example/")] {
            cases.append(ssp("Ssp-To with \(name)", 400, "MISSING_OR_INVALID_HEADER_Ssp-To", replacing("Ssp-To", with: value)))
        }
        cases += [
            ssp("Ssp-TraceID not a UUID", 400, "MISSING_OR_INVALID_HEADER_Ssp-TraceID", replacing("Ssp-TraceID", with: "trace-me")),
            ssp("no Ssp-TraceID", 400, "MISSING_OR_INVALID_HEADER_Ssp-TraceID", replacing("Ssp-TraceID", with: nil)),
            ssp("no Ssp-From", 400, "MISSING_OR_INVALID_HEADER_Ssp-From", replacing("Ssp-From", with: nil)),
            ssp("no Ssp-To", 400, "MISSING_OR_INVALID_HEADER_Ssp-To", replacing("Ssp-To", with: nil)),
            ssp("no Ssp-InteractionID", 400, "MISSING_OR_INVALID_HEADER_Ssp-InteractionID", replacing("Ssp-InteractionID", with: nil)),
            ssp("interaction not a URN", 400, "MISSING_OR_INVALID_HEADER_Ssp-InteractionID", replacing("Ssp-InteractionID", with: "slot-search")),
            ssp("interaction not in the catalogue", 400, "INTERACTION_NOT_IN_CATALOGUE_",
                replacing("Ssp-InteractionID", with: "urn:nhs:names:services:gpconnect:fhir:rest:read:binary-1")),
            ssp("Ssp_From look-alike", 400, "INVALID_HEADER_NAME_Ssp_From", adding("Ssp_From", "200000000360")),
            ssp("SSP_TO look-alike", 400, "INVALID_HEADER_NAME_SSP_TO", adding("SSP_TO", "918999198004")),
            ssp("sender other than the certificate's", 403, "ASID_CHECK_FAILED_MESSAGESENDER_", replacing("Ssp-From", with: "200000000360")),
            ssp("unknown receiver", 400, "UNKNOWN_MESSAGERECEIVER_918999198777", replacing("Ssp-To", with: "918999198777")),
            ssp("receiver without a sharing agreement", 403, "FOT_CHECK_FAILED_", replacing("Ssp-To", with: "918999198004")),
            ssp("X-Correlation-ID duplicated", 400, "DUPLICATE_HEADER_X-Correlation-ID", { fields, _ in
                fields.append(("X-Correlation-ID", "a"))
                fields.append(("X-Correlation-ID", "b"))
            }),
        ]
        return cases
    }()

    static let corpus: [Case] = framing + methods + targets + tokens + sspHeaders

    @Test func theCorpusIsLargeAndCoversEveryCategory() {
        #expect(Self.corpus.count >= 100, "\(Self.corpus.count) cases")
        #expect(Set(Self.corpus.map(\.category)) == ["framing", "method", "target URL", "JWT", "SSP headers"])
    }

    @Test func everyHostileRequestIsRefusedAndNothingReachesTheProvider() async throws {
        try await ProxyHarness.with { harness in
            var failures: [String] = []
            try await withThrowingTaskGroup(of: String?.self) { group in
                var pending = Self.corpus.makeIterator()
                func next() -> Case? { pending.next() }
                for _ in 0..<8 {
                    guard let hostile = next() else { break }
                    group.addTask { try await Self.check(hostile, harness) }
                }
                while let result = try await group.next() {
                    if let result { failures.append(result) }
                    if let hostile = next() { group.addTask { try await Self.check(hostile, harness) } }
                }
            }
            #expect(failures.isEmpty, "\(failures.count) of \(Self.corpus.count):\n\(failures.sorted().joined(separator: "\n"))")
            #expect(harness.provider.requests.isEmpty, "the provider saw \(harness.provider.requests.map(\.uri))")
            // The proxy is still answering after all of that.
            #expect(try await harness.send().status == 200)
        }
    }

    /// Sends one hostile request; nil when it was refused as documented, else what went wrong.
    static func check(_ hostile: Case, _ harness: ProxyHarness) async throws -> String? {
        let request = hostile.build(harness)
        let reply = try await RawClient.send(request, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10))
        guard let status = reply.status else {
            return reply.closedByServer ? nil : "\(hostile.testDescription): no answer and the connection left open"
        }
        guard status == hostile.status else { return "\(hostile.testDescription): \(status), expected \(hostile.status)" }
        guard let requestID = reply.header("X-Request-ID"), let trace = reply.header("Ssp-TraceID"), !trace.isEmpty else {
            return "\(hostile.testDescription): the answer lacks X-Request-ID or Ssp-TraceID"
        }
        let sent = String(decoding: request, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0].split(separator: "\r\n")
            .filter { $0.lowercased().hasPrefix("ssp-traceid:") }.map { $0.dropFirst("ssp-traceid:".count).trimmingCharacters(in: .whitespaces) }
        if trace != requestID, !(sent.count == 1 && sent[0] == trace) {
            return "\(hostile.testDescription): Ssp-TraceID \(trace) is neither the one sent (\(sent)) nor the exchange id \(requestID)"
        }
        if let token = hostile.token, !reply.text.contains(token) {
            return "\(hostile.testDescription): answer lacks \(token): \(reply.text.suffix(300))"
        }
        return nil
    }
}
