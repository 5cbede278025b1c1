import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardHarness
import SwitchboardTesting
import Testing

@Suite struct ConsoleTests {
    @Test func signInSetsAStrictSessionCookieAndEachRoleSeesOnlyItsPages() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            #expect(try await browser.get("/console/audit").headers["Location"] == ["/console/sign-in"], "signed out: sent to sign in")
            let form = try await browser.get("/console/sign-in")
            #expect(form.body.contains("<label for=\"token\">") && !form.body.contains("nil"), "a labelled field and no absent values printed")
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
            #expect(admin.status == 403, "an auditor sees no admin page")
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

    /// A column header sorts the whole result, not the page on screen: five exchanges answered
    /// in another order come out by status across three pages of two.
    @Test func sortingRunsOverTheWholeResultAcrossPages() async throws {
        try await ProxyHarness.with(behaviour: { request in
            let status = Int(request.uri.split(separator: "answer=").last ?? "") ?? 200
            return .respond(status: status, headers: [("Content-Type", "application/fhir+json")], body: Data("{}".utf8))
        }, management: true) { harness in
            var traces: [Int: String] = [:]
            for status in [500, 200, 404, 201, 409] {
                let trace = UUID().uuidString
                traces[status] = trace
                #expect(try await harness.send(.GET, "/Slot?status=free&answer=\(status)", headers: harness.sspHeaders(traceID: trace)).status == status)
            }
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.auditorToken!)
            var path = "/console/audit?limit=2&sort=status"
            var seen: [Int] = []
            for _ in 0..<3 {
                let page = try await browser.get(path)
                #expect(page.body.contains(#"aria-sort="ascending""#))
                let shown = traces.filter { page.body.contains($0.value) }.sorted { page.body.range(of: $0.value)!.lowerBound < page.body.range(of: $1.value)!.lowerBound }
                seen += shown.map(\.key)
                guard let next = Self.nextLink(page.body) else { break }
                path = next
            }
            #expect(seen == [200, 201, 404, 409, 500], "sorted by status over the whole result, page after page")
        }
    }

    /// The "next page" link of a search page.
    static func nextLink(_ body: String) -> String? {
        guard let anchor = body.range(of: ">Next page"), let start = body[..<anchor.lowerBound].range(of: #"href=""#, options: .backwards) else { return nil }
        return String(body[start.upperBound...].prefix { $0 != "\"" }).replacingOccurrences(of: "&amp;", with: "&")
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

/// The administrator's pages, driven as a browser would: forms, previews, history.
@Suite struct ConsoleAdminTests {
    /// The value of the hidden `name` field in the page.
    static func hidden(_ page: ConsoleBrowser.Page, _ name: String) -> String? {
        guard let range = page.body.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(page.body[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Every field of a form, as a browser would post it (inputs, selects, textareas; hidden too).
    static func fields(_ page: ConsoleBrowser.Page, form action: String) -> [(String, String)] {
        guard let start = page.body.range(of: "action=\"\(action)\"") else { return [] }
        let form = page.body[start.upperBound...].prefix { _ in true }
        let end = form.range(of: "</form>")?.lowerBound ?? form.endIndex
        let html = String(form[..<end])
        var result: [(String, String)] = []
        let unescape = { (text: String) in
            text.replacingOccurrences(of: "&#10;", with: "\n").replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
                .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">").replacingOccurrences(of: "&amp;", with: "&")
        }
        for match in html.matches(of: /<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"/) { result.append((String(match.1), unescape(String(match.2)))) }
        for match in html.matches(of: /<input id="[^"]+" name="([^"]+)">/) { result.append((String(match.1), "")) }
        for match in html.matches(of: /<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)<\/textarea>/) { result.append((String(match.1), unescape(String(match.2)))) }
        for match in html.matches(of: /<select[^>]*name="([^"]+)">(.*?)<\/select>/) {
            let selected = String(match.2).firstMatch(of: /<option value="([^"]*)" selected>/).map { String($0.1) } ?? ""
            result.append((String(match.1), selected))
        }
        return result
    }

    static func replacing(_ fields: [(String, String)], _ name: String, with value: String) -> [(String, String)] {
        fields.map { $0.0 == name ? ($0.0, value) : $0 }
    }

    @Test func anAdministratorEditsAnEndpointSeesTheDiffAndTheProxyUsesIt() async throws {
        try await ProxyHarness.with(management: true) { harness in
            #expect(try await harness.send().status == 200)
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.adminToken!)
            #expect(try await browser.get("/console").headers["Location"] == ["/console/admin"])
            #expect(try await browser.get("/console/audit").status == 403, "an administrator sees no audit page")
            let list = try await browser.get("/console/admin?kind=endpoints&q=A81001")
            #expect(list.body.contains("S20001A100001"))
            let path = "/console/admin/endpoints/S20001A100001"
            let page = try await browser.get(path)
            #expect(page.status == 200)
            let original = Self.fields(page, form: path)
            #expect(original.contains { $0.0 == "address" && $0.1 == harness.practiceAddress }, "\(original)")

            // A bad address is refused with the message next to the field; nothing changes.
            let invalid = try await browser.post(path, Self.replacing(original, "address", with: "http://insecure.example/A81001"))
            #expect(invalid.status == 422)
            #expect(invalid.body.contains("field-address-error"), "the error stands next to the address field")
            #expect(invalid.body.contains("aria-invalid=\"true\""))

            // A change the directory's rules refuse (the practice receives slot searches, so some
            // endpoint must serve them): the rule is shown and nothing changes.
            let interactions = original.first { $0.0 == "interactions" }!.1.split(separator: "\n").filter { $0 != SampleDirectory.slotSearch.rawValue }
            let unserved = try await browser.post(path, Self.replacing(original, "interactions", with: interactions.joined(separator: "\n")))
            #expect(unserved.status == 422)
            #expect(unserved.body.contains("but no active endpoint with party key A81001-0000801 serves it"))

            // Moving the endpoint to another address: a preview first, then the change.
            let moved = "https://gpconnect-new.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect"
            let edited = Self.replacing(original, "address", with: moved).filter { $0.0 != "reason" } + [("reason", "practice moved hosting")]
            let preview = try await browser.post(path, edited)
            #expect(preview.status == 200, "\(preview.body.split(separator: "<main").last ?? "")")
            #expect(preview.body.contains("<del>\(harness.practiceAddress)</del>") && preview.body.contains("<ins>\(moved)</ins>"), "the diff shows the change")
            #expect(try await harness.send().status == 200, "nothing changes before the change is confirmed")
            let applied = try await browser.post(path, Self.fields(preview, form: path))
            #expect(applied.status == 303)
            #expect(applied.headers["Location"].first?.hasPrefix("\(path)?saved=") == true)
            #expect(try await harness.send().status == 400, "requests for the old address are refused at once")

            let history = try await browser.get("/console/admin/history?kind=endpoint&key=S20001A100001")
            #expect(history.body.contains("token:ops-admin") && history.body.contains("console") && history.body.contains("practice moved hosting"))
        }
    }

    @Test func aBatchIsPreviewedAsAWholeThenAppliedAllOrNothing() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.adminToken!)
            let form = try await browser.get("/console/admin/batch")
            let csrf = try #require(form.csrf)
            let batch = #"{"changes": [{"op": "create", "kind": "organisation", "entry": {"ods": "Y01240", "name": "Hub One", "kind": "urgent-care"}},"#
                + #" {"op": "create", "kind": "organisation", "entry": {"ods": "Y01241", "name": "Hub Two", "kind": "urgent-care"}}], "reason": "new hubs"}"#
            let preview = try await browser.post("/console/admin/batch", [("csrf", csrf), ("changes", batch)])
            #expect(preview.body.contains("created organisation Y01240") && preview.body.contains("created organisation Y01241"), "\(preview.body)")
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01240")] == nil, "nothing before confirming")
            let applied = try await browser.post("/console/admin/batch", [("csrf", csrf), ("changes", batch), ("confirm", "1")])
            #expect(applied.body.contains("2 change(s) applied"))
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01241")] != nil)
            let broken = #"{"changes": [{"op": "create", "kind": "organisation", "entry": {"ods": "Y01242", "name": "Hub Three", "kind": "urgent-care"}},"#
                + #" {"op": "create", "kind": "organisation", "entry": {"ods": "bad ods", "name": "X", "kind": "other"}}]}"#
            let refused = try await browser.post("/console/admin/batch", [("csrf", csrf), ("changes", broken), ("confirm", "1")])
            #expect(refused.status == 422)
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01242")] == nil, "all or nothing")
        }
    }

    @Test func anAdministratorCreatesAndRetiresAnOrganisation() async throws {
        try await ProxyHarness.with(management: true) { harness in
            let browser = try ConsoleBrowser(harness)
            defer { Task { await browser.shutdown() } }
            _ = try await browser.signIn(harness.adminToken!)
            let blank = try await browser.get("/console/admin/organisations/new")
            let form = Self.replacing(Self.replacing(Self.fields(blank, form: "/console/admin/organisations"), "ods", with: "Y01234"), "name", with: "Walk-in Centre")
            let preview = try await browser.post("/console/admin/organisations", Self.replacing(form, "kind", with: "urgent-care"))
            #expect(preview.body.contains("created"), "\(preview.body)")
            let created = try await browser.post("/console/admin/organisations", Self.fields(preview, form: "/console/admin/organisations"))
            #expect(created.status == 303)
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01234")] != nil)
            let page = try await browser.get("/console/admin/organisations/Y01234")
            let retirePath = "/console/admin/organisations/Y01234/retire"
            let check = try await browser.post(retirePath, Self.fields(page, form: retirePath))
            #expect(check.body.contains("retired"))
            #expect(try await browser.post(retirePath, Self.fields(check, form: retirePath)).status == 303)
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01234")]?.status == .retired)
            // A forged form changes nothing.
            #expect(try await browser.post("/console/admin/organisations/Y01234", [("csrf", "forged"), ("ods", "Y01234"), ("name", "X"), ("kind", "other"),
                                                                                 ("status", "active"), ("confirm", "1")]).status == 403)
            #expect(harness.directory.snapshot.tables[EntityRef(.organisation, "Y01234")]?.status == .retired)
        }
    }
}
