import Foundation
import SwitchboardCore
public import Hummingbird
import HTTPTypes
import Logging
import NIOCore
public import SwitchboardAudit

/// The web console on the management port (`/console/…`): server-rendered pages, no
/// JavaScript, nothing loaded from elsewhere. Sign-in takes a management token and starts a
/// session (an HttpOnly, Secure, SameSite=Strict cookie); every form carries the session's CSRF
/// token. Auditors get the audit pages; an administrator's pages are the routing tables.
public struct ConsoleRoutes: Sendable {
    let tokens: any ManagementTokenStore
    let sessions: ConsoleSessions
    let failures: FailureLimiter
    let auditStore: (any AuditStore)?
    /// Looks up the NHS number search field; `nil`: that search is refused.
    let nhsNumberKey: NHSNumberKey?

    static let sessionCookie = "sb_session"
    static let signInCookie = "sb_sign_in"

    public init(tokens: any ManagementTokenStore, sessions: ConsoleSessions, failures: FailureLimiter, auditStore: (any AuditStore)?,
                nhsNumberKey: NHSNumberKey? = nil) {
        self.tokens = tokens
        self.sessions = sessions
        self.failures = failures
        self.auditStore = auditStore
        self.nhsNumberKey = nhsNumberKey
    }

    public func register(on router: Router<ManagementContext>) {
        let console = router.group("console")
        console.get("static/console.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.css)))
        }
        console.get("sign-in") { request, _ in signInPage(request, error: nil) }
        console.post("sign-in") { request, context in try await signIn(request, context) }
        console.post("sign-out") { request, context in try await signOut(request, context) }
        console.get { request, context in try await home(request, context) }
        console.get("audit") { request, context in try await search(request, context) }
        console.get("audit/exchanges/:id") { request, context in try await record(request, context) }
        console.get("audit/export") { request, context in try await export(request, context) }
        console.get("audit/verify") { request, context in try await verify(request, context) }
        console.get("audit/report") { request, context in try await report(request, context) }
    }

    // MARK: Sessions

    /// The signed-in session of this request, if any; marks the call as that principal's for
    /// the action log.
    func session(_ request: Request, _ context: ManagementContext) async throws -> (id: String, session: ConsoleSessions.Session)? {
        guard let id = request.cookies[Self.sessionCookie]?.value, let session = try await sessions.session(id) else { return nil }
        context.call.principal = session.principal
        return (id, session)
    }

    /// The session, if its principal has `role`; else the refusal to answer with (sign in, or
    /// a page saying whose page this is).
    func require(_ role: Role, _ request: Request, _ context: ManagementContext) async throws -> ConsoleSessions.Session {
        guard let (_, session) = try await session(request, context) else {
            context.call.refusal = "unauthenticated"
            throw ConsoleError.signIn
        }
        guard session.principal.role == role else {
            context.call.refusal = "wrong-role"
            throw ConsoleError.wrongRole(session, needed: role)
        }
        return session
    }

    /// Why a console page is not shown: answered as a redirect to sign in, or a `403` page.
    enum ConsoleError: Error, HTTPResponseError {
        case signIn
        case wrongRole(ConsoleSessions.Session, needed: Role)

        var status: HTTPResponse.Status {
            switch self {
            case .signIn: .seeOther
            case .wrongRole: .forbidden
            }
        }

        func response(from request: Request, context: some RequestContext) throws -> Response {
            switch self {
            case .signIn:
                return ConsoleRoutes.redirect("/console/sign-in")
            case .wrongRole(let session, let needed):
                return ConsoleRoutes.page(title: "Not for your role", session: session, status: .forbidden, body: ConsoleTemplates.render("message", [
                    "kind": "error", "message": "This page is for the \(needed.rawValue) role; you are signed in as \(session.principal.role.rawValue).",
                    "link": ["href": "/console", "text": "Go to your pages"],
                ]))
            }
        }
    }

    func signInPage(_ request: Request, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let nonce = Secrets.random()
        var response = Self.page(title: "Sign in", session: nil, status: status,
                            body: ConsoleTemplates.render("sign-in", ["csrf": nonce, "error": error as Any]))
        response.setCookie(Cookie(name: Self.signInCookie, value: nonce, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    func signIn(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if failures.isBlocked(client) {
            context.call.refusal = "too-many-failures"
            return signInPage(request, error: "Too many failed sign-ins from this address; try again in a minute.", status: .tooManyRequests)
        }
        let form = try await Self.form(request, context)
        guard let nonce = request.cookies[Self.signInCookie]?.value, let sent = form["csrf"], Secrets.equal(nonce, sent) else {
            context.call.refusal = "csrf-failed"
            return signInPage(request, error: "The sign-in form had expired; please sign in again.", status: .forbidden)
        }
        guard let token = form["token"], !token.isEmpty, let principal = try await tokens.principal(for: token) else {
            failures.record(client)
            context.call.refusal = "unauthenticated"
            return signInPage(request, error: "That token is not valid.", status: .unauthorized)
        }
        context.call.principal = principal
        let (id, _) = try await sessions.start(principal)
        var response = Self.redirect("/console")
        response.setCookie(Cookie(name: Self.sessionCookie, value: id, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
        response.setCookie(Cookie(name: Self.signInCookie, value: "", maxAge: 0, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    func signOut(_ request: Request, _ context: ManagementContext) async throws -> Response {
        guard let (id, session) = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        let form = try await Self.form(request, context)
        guard let sent = form["csrf"], Secrets.equal(session.csrf, sent) else {
            context.call.refusal = "csrf-failed"
            return Self.page(title: "Sign out", session: session, status: .forbidden,
                        body: ConsoleTemplates.render("message", ["kind": "error", "message": "The form had expired; please try again."]))
        }
        try await sessions.end(id)
        var response = Self.redirect("/console/sign-in")
        response.setCookie(Cookie(name: Self.sessionCookie, value: "", maxAge: 0, path: "/console", secure: true, httpOnly: true, sameSite: .strict))
        return response
    }

    func home(_ request: Request, _ context: ManagementContext) async throws -> Response {
        guard let (_, session) = try await session(request, context) else { return Self.redirect("/console/sign-in") }
        return Self.redirect(session.principal.role == .auditor ? "/console/audit" : "/console/admin")
    }

    // MARK: Auditor pages

    static let filterFields: [(name: String, label: String, type: String, pattern: String?)] = [
        ("since", "From (received on or after)", "date", nil), ("until", "Until (received on or before)", "date", nil),
        ("trace-id", "Trace id", "text", nil), ("correlation-id", "Correlation id", "text", nil),
        ("from-asid", "From ASID", "text", "[0-9]{12}"), ("to-asid", "To ASID", "text", "[0-9]{12}"), ("asid", "Either ASID", "text", "[0-9]{12}"),
        ("ods", "ODS code", "text", nil), ("interaction", "Interaction", "text", nil), ("status", "HTTP status", "number", nil),
        ("user-id", "User id", "text", nil), ("resource-type", "Resource type", "text", nil), ("resource-id", "Resource id", "text", nil),
        ("nhs-number", "NHS number", "text", "[0-9]{10}"), ("node", "Node", "text", nil), ("limit", "Per page", "number", nil),
    ]

    static let columns: [(key: AuditQuery.SortKey, label: String)] = [
        (.received, "Received"), (.trace, "Trace id"), (.from, "From ASID"), (.to, "To ASID"), (.interaction, "Interaction"),
        (.method, "Method"), (.status, "Status"), (.outcome, "Outcome"), (.duration, "ms"),
    ]

    /// The request's filters (not sorting or format) as the API reads them, less the fields the
    /// form left empty.
    /// The search form's filters, decoded as a browser sends a GET form (`+` is a space).
    static func filters(_ request: Request) -> [(String, String)] {
        ((try? FormQuery(request))?.excluding(["format", "sort", "offset"]) ?? []).filter { !$0.1.isEmpty }
    }

    static func queryString(_ parameters: [(String, String)]) -> String {
        var components = URLComponents()
        components.queryItems = parameters.map { URLQueryItem(name: $0.0, value: $0.1) }
        return components.percentEncodedQuery ?? ""
    }

    func search(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await require(.auditor, request, context)
        let given = Self.filters(request)
        let values = Dictionary(given, uniquingKeysWith: { first, _ in first })
        var fields: [[String: Any]] = Self.filterFields.map { field in
            ["name": field.name, "label": field.label, "type": field.type, "value": values[field.name] ?? "", "pattern": field.pattern as Any]
        }
        fields.insert(["name": "outcome", "label": "Outcome", "options": ["choices": ExchangeRecord.Outcome.allCases.map {
            ["value": $0.rawValue, "selected": values["outcome"] == $0.rawValue] }]], at: 10)
        fields.append(["name": "scope", "label": "Records of", "options": ["choices": AuditQuery.Scope.allCases.map {
            ["value": $0.rawValue, "selected": values["scope"] == $0.rawValue] }]])
        var body: [String: Any] = ["fields": fields, "query": Self.queryString(given.filter { $0.0 != "cursor" })]
        do {
            guard let store = auditStore else { throw AuditQueryError(parameter: "store", message: "the audit store is off on this node") }
            var query = try AuditQuery(parameters: given, nhsNumberKey: nhsNumberKey)
            // A column header sorts the whole result (ascending), paged by offset.
            let sort = request.uri.queryParameters["sort"].flatMap { AuditQuery.SortKey(rawValue: String($0)) }
            if let sort {
                query.sort = sort
                query.order = .oldestFirst
                query.offset = request.uri.queryParameters["offset"].flatMap { Int($0) }.map { max(0, $0) } ?? 0
            }
            let page = try await store.exchanges(query)
            let rows = page.records.map(Self.row)
            body["records"] = rows
            body["count"] = rows.count
            body["columns"] = Self.columns.map { column -> [String: Any] in
                ["key": column.key.rawValue, "label": column.label, "sorted": sort == column.key ? ["direction": "ascending"] as Any : false]
            }
            if let next = page.nextCursor {
                let filters = given.filter { $0.0 != "cursor" }
                body["next"] = Self.queryString(sort.map { filters + [("sort", $0.rawValue), ("offset", String(query.offset + query.limit))] }
                                                    ?? filters + [("cursor", String(next))])
            }
        } catch let error as AuditQueryError {
            body["error"] = error.description
        }
        return Self.page(title: "Exchanges", session: session, body: ConsoleTemplates.render("search", body))
    }

    static func time(_ date: Date?) -> String {
        date.map(Timestamp.rfc3339) ?? ""
    }

    static func row(_ record: ExchangeRecord) -> [String: Any] {
        [
            "id": record.id.uuidString.lowercased(), "received": time(record.receivedAt), "trace": record.traceID ?? "",
            "from": record.fromASID?.rawValue ?? "", "to": record.toASID?.rawValue ?? "",
            "interaction": record.interaction.map { String($0.rawValue.split(separator: ":").last ?? "") } ?? "",
            "method": record.method, "status": record.status.map(String.init) ?? "", "outcome": record.outcome.rawValue,
            "duration": record.durationMicroseconds.map { String(format: "%.1f", Double($0) / 1000) } ?? "",
        ]
    }

    func record(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await require(.auditor, request, context)
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text), let store = auditStore,
              let record = try await store.exchange(id: id) else {
            return Self.page(title: "No such exchange", session: session, status: .notFound,
                        body: ConsoleTemplates.render("message", ["kind": "error", "message": "No exchange has that id.",
                                                                  "link": ["href": "/console/audit", "text": "Back to the search"]]))
        }
        return Self.page(title: "Exchange \(record.id.uuidString.lowercased())", session: session, body: ConsoleTemplates.render("record", [
            "trace": record.traceID as Any, "correlation": record.correlationID as Any, "fields": Self.fields(of: record),
        ]))
    }

    /// Every field of a record, labelled, in the order an auditor reads them.
    static func fields(of r: ExchangeRecord) -> [[String: String]] {
        let p = r.requestingParty
        let pairs: [(String, String?)] = [
            ("Exchange id", r.id.uuidString.lowercased()), ("Node", r.node), ("Received", time(r.receivedAt)), ("Completed", time(r.completedAt)),
            ("Duration (µs)", r.durationMicroseconds.map(String.init)), ("Upstream (µs)", r.upstreamMicroseconds.map(String.init)),
            ("Client address", r.clientAddress), ("Certificate subject", r.certificateSubject), ("Certificate FQDN", r.certificateFQDN),
            ("Trace id", r.traceID), ("Correlation id", r.correlationID), ("From ASID", r.fromASID?.rawValue), ("From ODS", r.fromODS?.rawValue),
            ("To ASID", r.toASID?.rawValue), ("To ODS", r.toODS?.rawValue), ("Interaction", r.interaction?.rawValue), ("Method", r.method), ("Target URL", r.targetURL),
            ("Status", r.status.map(String.init)), ("Outcome", r.outcome.rawValue), ("Refused at", r.refusalPhase), ("Rule", r.refusalRule),
            ("Token", r.refusalToken), ("Bytes in", String(r.bytesIn)), ("Bytes out", String(r.bytesOut)),
            ("Request body SHA-256", r.requestBodySHA256), ("Response body SHA-256", r.responseBodySHA256),
            ("User id", p.userID), ("User role profile", p.userRoleProfileID), ("User name", p.userName),
            ("Requesting organisation", [p.organisationODS, p.organisationName].compactMap { $0 }.joined(separator: " ")),
            ("Requesting device", p.device), ("Reason for request", p.reasonForRequest), ("Requested scope", p.requestedScope),
            ("Issuer", p.issuer), ("Resource", [r.resourceType, r.resourceID].compactMap { $0 }.joined(separator: "/")),
            ("Response location", r.responseLocation), ("Response ETag", r.responseETag),
        ]
        return pairs.map { ["label": $0.0, "value": ($0.1?.isEmpty ?? true) ? "—" : $0.1!] }
    }

    func export(_ request: Request, _ context: ManagementContext) async throws -> Response {
        _ = try await require(.auditor, request, context)
        guard let store = auditStore else { throw ManagementError(status: .serviceUnavailable, code: "audit-off", message: "the audit store is off") }
        var query: AuditQuery
        do { query = try AuditQuery(parameters: Self.filters(request), nhsNumberKey: nhsNumberKey) } catch {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: error.description)
        }
        query.limit = 1000
        let page = try await store.exchanges(query)
        switch request.uri.queryParameters["format"].map(String.init) {
        case "fhir":
            return Response(status: .ok, headers: [.contentType: "application/fhir+json", .contentDisposition: "attachment; filename=\"switchboard-auditevents.json\"",
                                                   .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try AuditExport.fhirBundle(page.records))))
        default:
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"switchboard-audit.csv\"",
                                                   .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: AuditExport.csv(page.records))))
        }
    }

    func verify(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await require(.auditor, request, context)
        guard let store = auditStore else { return Self.page(title: "Verify the log", session: session, body: "<p>The audit store is off.</p>") }
        let result = try await store.verify(node: nil)
        let chains: [[String: Any]] = result.chains.map { chain in
            [
                "node": chain.node, "records": chain.records,
                "range": [chain.firstSequence, chain.lastSequence].compactMap { $0 }.map(String.init).joined(separator: "–"),
                "result": chain.firstBad.map { "broken at \($0.sequence): \($0.reason.rawValue) — \($0.detail)" } ?? "intact",
            ]
        }
        let summary = result.isIntact
            ? "Every chain is intact: \(result.totalRecords) records on \(result.chains.count) node(s)."
            : "A chain is broken: see below. Keep this page and the database as evidence."
        return Self.page(title: "Verify the log", session: session,
                    body: ConsoleTemplates.render("verify", ["intact": result.isIntact, "summary": summary, "chains": chains]))
    }

    func report(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await require(.auditor, request, context)
        let given = Self.filters(request).filter { $0.0 == "since" || $0.0 == "until" }
        var body: [String: Any] = ["since": given.first { $0.0 == "since" }?.1 ?? "", "until": given.first { $0.0 == "until" }?.1 ?? ""]
        do {
            guard let store = auditStore else { throw AuditQueryError(parameter: "store", message: "the audit store is off on this node") }
            let report = try await AuditReport.build(from: store, query: try AuditQuery(parameters: given, nhsNumberKey: nhsNumberKey))
            body["report"] = [
                "exchanges": report.total.exchanges, "forwarded": report.total.forwarded, "refused": report.total.refused,
                "errors": report.total.errors, "errorRate": String(format: "%.1f %%", report.total.errorRate * 100),
                "dayChart": ConsoleCharts.stacked(try await Self.perDayByProvider(store, query: try AuditQuery(parameters: given, nhsNumberKey: nhsNumberKey)),
                                                  title: "Exchanges per day by provider ASID"),
                "ruleChart": ConsoleCharts.bars(report.refusalsByRule.sorted { $0.value > $1.value }.map { ($0.key, Double($0.value)) },
                                                unit: "refusals", title: "Refusals by rule"),
                "latencyChart": ConsoleCharts.bars([("p50", report.total.p50Milliseconds ?? 0), ("p95", report.total.p95Milliseconds ?? 0),
                                                    ("p99", report.total.p99Milliseconds ?? 0)], unit: "ms", title: "Latency percentiles"),
            ]
        } catch let error as AuditQueryError {
            body["error"] = error.description
        }
        return Self.page(title: "Report", session: session, body: ConsoleTemplates.render("report", body))
    }

    /// Exchanges per day (UTC), split by provider ASID, oldest day first.
    static func perDayByProvider(_ store: any AuditStore, query: AuditQuery) async throws -> [(String, [(String, Int)])] {
        let counts = try await store.reduceExchanges(query, into: [String: [String: Int]]()) { counts, record in
            let day = String(record.receivedAt.formatted(.iso8601).prefix(10))
            counts[day, default: [:]][record.toASID?.rawValue ?? "none", default: 0] += 1
        }
        return counts.keys.sorted().map { day in (day, counts[day]!.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }) }
    }

    // MARK: Pages

    /// A whole page: the layout around `body`, with the console's content policy (its own
    /// stylesheet; no scripts, frames or foreign sources).
    static func page(title: String, session: ConsoleSessions.Session?, status: HTTPResponse.Status = .ok, body: String) -> Response {
        var context: [String: Any] = ["title": title, "body": body]
        if let session {
            context["signedIn"] = [
                "name": session.principal.name, "role": session.principal.role.rawValue, "csrf": session.csrf,
                "auditor": session.principal.role == .auditor, "admin": session.principal.role == .admin,
            ]
        }
        let html = ConsoleTemplates.render("layout", context)
        return Response(status: status, headers: [
            .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
            .contentSecurityPolicy: "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ], body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A form whose CSRF token is not the session's: nothing is done.
    func csrfRefusal(_ session: ConsoleSessions.Session, _ context: ManagementContext) -> Response {
        context.call.refusal = "csrf-failed"
        return Self.page(title: "The form had expired", session: session, status: .forbidden,
                    body: ConsoleTemplates.render("message", ["kind": "error", "message": "The form had expired or came from elsewhere; nothing was changed. Reload the page and try again.",
                                                              "link": ["href": "/console", "text": "Back to your pages"]]))
    }

    static func redirect(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// An `application/x-www-form-urlencoded` body as name → value (first value wins).
    static func form(_ request: Request, _ context: ManagementContext) async throws -> [String: String] {
        var request = request
        let body = try await request.collectBody(upTo: 64 * 1024)
        var components = URLComponents()
        components.percentEncodedQuery = String(buffer: body).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] where fields[item.name] == nil { fields[item.name] = item.value ?? "" }
        return fields
    }
}
