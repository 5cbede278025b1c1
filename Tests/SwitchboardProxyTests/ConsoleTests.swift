import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardAudit
import SwitchboardTesting
import Testing

/// A browser's view of the console, over real TLS: cookies kept by hand, no redirects followed.
final class ConsoleBrowser: Sendable {
    let harness: ProxyHarness
    let client: HTTPClient
    let cookies = NIOLockedValueBox<[String: String]>([:])

    init(_ harness: ProxyHarness) throws {
        self.harness = harness
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(harness.pki.consumerCA))
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.httpVersion = .http1Only
        client = HTTPClient(eventLoopGroupProvider: .shared(MultiThreadedEventLoopGroup.singleton), configuration: configuration)
    }

    func shutdown() async { try? await client.shutdown() }

    struct Page {
        var status: Int
        var headers: HTTPHeaders
        var body: String
        /// The value of the hidden `csrf` field of the page's (first) form.
        var csrf: String? {
            guard let range = body.range(of: #"name="csrf" value=""#) else { return nil }
            return String(body[range.upperBound...].prefix { $0 != "\"" })
        }
    }

    func get(_ path: String) async throws -> Page { try await send(.GET, path, form: nil) }

    func post(_ path: String, _ form: [(String, String)]) async throws -> Page { try await send(.POST, path, form: form) }

    func send(_ method: HTTPMethod, _ path: String, form: [(String, String)]?) async throws -> Page {
        var request = HTTPClientRequest(url: "https://localhost:\(harness.managementPort!)\(path)")
        request.method = method
        let jar = cookies.withLockedValue { $0 }
        if !jar.isEmpty { request.headers.add(name: "Cookie", value: jar.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let form {
            var components = URLComponents()
            components.queryItems = form.map { URLQueryItem(name: $0.0, value: $0.1) }
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: components.percentEncodedQuery ?? ""))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        for header in response.headers["Set-Cookie"] {
            let pair = header.split(separator: ";").first.map(String.init) ?? ""
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count >= 1 else { continue }
            let value = parts.count == 2 ? parts[1] : ""
            cookies.withLockedValue { $0[parts[0]] = value.isEmpty ? nil : value }
        }
        return Page(status: Int(response.status.code), headers: response.headers, body: String(buffer: try await response.body.collect(upTo: 8 << 20)))
    }

    /// Signs in with `token` through the form, as a person would.
    func signIn(_ token: String) async throws -> Page {
        let form = try await get("/console/sign-in")
        return try await post("/console/sign-in", [("csrf", form.csrf ?? ""), ("token", token)])
    }
}

@Suite struct ConsoleTests {
    @Test func signInSetsAStrictSessionCookieAndEachRoleSeesOnlyItsPages() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            #expect(try await browser.get("/console/audit").headers["Location"] == ["/console/sign-in"], "signed out: sent to sign in")
            let refused = try await browser.signIn("sbt_wrong")
            #expect(refused.status == 401)
            #expect(refused.body.contains("That token is not valid."))
            let signedIn = try await browser.signIn(harness.auditorToken!)
            #expect(signedIn.status == 303)
            let cookie = try #require(signedIn.headers["Set-Cookie"].first { $0.hasPrefix("sb_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("Secure") && cookie.contains("SameSite=Strict"))
            #expect(try await browser.get("/console").headers["Location"] == ["/console/audit"])
            let search = try await browser.get("/console/audit")
            #expect(search.status == 200)
            #expect(search.headers["Content-Security-Policy"].first?.contains("default-src 'none'") == true)
            #expect(!search.body.contains("<script"), "no JavaScript")
            let admin = try await browser.get("/console/admin")
            #expect(admin.status == 403 || admin.status == 404, "an auditor sees no admin page")
            // Signing out needs the form's CSRF token; without it nothing happens.
            #expect(try await browser.post("/console/sign-out", [("csrf", "forged")]).status == 403)
            #expect(try await browser.get("/console/audit").status == 200)
            #expect(try await browser.post("/console/sign-out", [("csrf", search.csrf ?? "")]).status == 303)
            #expect(try await browser.get("/console/audit").headers["Location"] == ["/console/sign-in"])
        }
    }

    @Test func aSignInFormFromElsewhereIsRefused() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            // No sign-in cookie from our own form: a cross-site post.
            let forged = try await browser.post("/console/sign-in", [("csrf", "anything"), ("token", harness.auditorToken!)])
            #expect(forged.status == 403)
            #expect(forged.headers["Set-Cookie"].allSatisfy { !$0.hasPrefix("sb_session=") })
        }
    }

    @Test func anAuditorFindsAnExchangeByTraceOpensItAndExportsIt() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let trace = UUID().uuidString
            #expect(try await harness.send(headers: harness.sspHeaders(traceID: trace)).status == 200)
            
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.auditorToken!)
            var found = try await browser.get("/console/audit?trace-id=\(trace)")
            for _ in 0..<100 where !found.body.contains("1 records on this page") {
                try await Task.sleep(for: .milliseconds(20))
                found = try await browser.get("/console/audit?trace-id=\(trace)")
            }
            #expect(found.body.contains("1 records on this page"), "\(found.body)")
            #expect(found.body.contains(trace))
            let link = try #require(found.body.range(of: #"href="/console/audit/exchanges/"#))
            let id = String(found.body[link.upperBound...].prefix { $0 != "\"" })
            let record = try await browser.get("/console/audit/exchanges/\(id)")
            #expect(record.status == 200)
            for field in ["Trace id", trace, "forwarded", "200000000359", "918999198001", "Response body SHA-256"] {
                #expect(record.body.contains(field), "the record page shows \(field)")
            }
            #expect(record.body.contains("/console/audit?trace-id=\(trace)"), "a link to the other exchanges of the trace")
            let csv = try await browser.get("/console/audit/export?trace-id=\(trace)&format=csv")
            #expect(csv.headers["Content-Type"].first?.hasPrefix("text/csv") == true)
            #expect(csv.body.split(separator: "\r\n").count == 2 && csv.body.contains(trace))
            let fhir = try await browser.get("/console/audit/export?trace-id=\(trace)&format=fhir")
            #expect(fhir.body.contains("\"AuditEvent\""))
            let bad = try await browser.get("/console/audit?asid=12")
            #expect(bad.body.contains("asid: &#39;12&#39; is not a 12-digit ASID") || bad.body.contains("asid: '12' is not a 12-digit ASID"))
            let verify = try await browser.get("/console/audit/verify")
            #expect(verify.body.contains("Every chain is intact"))
            let report = try await browser.get("/console/audit/report")
            #expect(report.body.contains("<svg") && report.body.contains("Refusals by rule"))
            // The pages an auditor read are in the audit chain, as the API calls are.
            let reads = try await harness.auditStore!.exchanges(try AuditQuery(parameters: [("scope", "management")])).records
            #expect(reads.contains { $0.targetURL.hasPrefix("/console/audit/exchanges/") && $0.certificateSubject == "token:siem" })
        }
    }

    @Test func valuesAreEscaped() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.auditorToken!)
            let page = try await browser.get("/console/audit?trace-id=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
            #expect(!page.body.contains("<script>alert(1)</script>"))
            #expect(page.body.contains("&lt;script&gt;"))
        }
    }
}
