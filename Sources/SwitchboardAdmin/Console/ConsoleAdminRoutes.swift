import Foundation
public import Hummingbird
import HTTPTypes
import NIOCore
public import SwitchboardDirectory
import SwitchboardCore
import Yams

/// The administrator's console pages: the routing tables listed and searched, an entry's form
/// (new, edit, retire) whose validation errors stand next to their fields, a preview of what
/// would change before anything is applied, and the change history with before and after.
public struct ConsoleAdminRoutes: Sendable {
    let console: ConsoleRoutes
    let directory: Directory

    public init(console: ConsoleRoutes, directory: Directory) {
        self.console = console
        self.directory = directory
    }

    /// A field of an entry's form: its JSON name, label, and how it is entered.
    struct Field {
        enum Input { case text, list, choice([String]) }
        var name: String
        var label: String
        var input: Input
        var required: Bool
    }

    static let statuses = RecordStatus.allCases.map(\.rawValue)

    static func fields(_ kind: EntityKind) -> [Field] {
        let status = Field(name: "status", label: "Status", input: .choice(statuses), required: true)
        switch kind {
        case .organisation:
            return [Field(name: "ods", label: "ODS code", input: .text, required: true), Field(name: "name", label: "Name", input: .text, required: true),
                    Field(name: "kind", label: "Kind", input: .choice(Organisation.Kind.allCases.map(\.rawValue)), required: true), status]
        case .system:
            return [Field(name: "asid", label: "ASID", input: .text, required: true), Field(name: "ods", label: "ODS code", input: .text, required: true),
                    Field(name: "name", label: "Name", input: .text, required: true), Field(name: "partyKey", label: "Party key", input: .text, required: true),
                    Field(name: "supplier", label: "Supplier ODS code", input: .text, required: false),
                    Field(name: "certificateFQDN", label: "Certificate FQDN", input: .text, required: false),
                    Field(name: "sends", label: "Sends (one interaction URN per line)", input: .list, required: false),
                    Field(name: "receives", label: "Receives (one interaction URN per line)", input: .list, required: false), status]
        case .endpoint:
            return [Field(name: "cpaId", label: "CPA id", input: .text, required: true), Field(name: "ods", label: "ODS code", input: .text, required: true),
                    Field(name: "partyKey", label: "Party key", input: .text, required: true), Field(name: "address", label: "Address (https URL)", input: .text, required: true),
                    Field(name: "fqdn", label: "FQDN", input: .text, required: false),
                    Field(name: "interactions", label: "Interactions (one URN per line)", input: .list, required: true), status]
        case .interaction:
            return [Field(name: "id", label: "Interaction URN", input: .text, required: true), Field(name: "name", label: "Name", input: .text, required: true),
                    Field(name: "method", label: "Method", input: .choice(HTTPMethodName.allCases.map(\.rawValue)), required: true),
                    Field(name: "path", label: "Path pattern", input: .text, required: true), Field(name: "scope", label: "Scope", input: .text, required: true), status]
        case .agreement:
            return [Field(name: "id", label: "Agreement id", input: .text, required: true), Field(name: "description", label: "Description", input: .text, required: false),
                    Field(name: "consumer", label: "Consumer (any, asid:…, ods:…)", input: .text, required: true),
                    Field(name: "provider", label: "Provider (any, asid:…, ods:…)", input: .text, required: true),
                    Field(name: "interactions", label: "Interactions (one URN per line, or any)", input: .list, required: true), status]
        }
    }

    public func register(on router: Router<ManagementContext>) {
        let admin = router.group("console/admin")
        admin.get { request, context in try await list(request, context) }
        admin.get("history") { request, context in try await history(request, context) }
        admin.get("batch") { request, context in try await batchForm(request, context, text: "", errors: [], status: .ok) }
        admin.post("batch") { request, context in try await batch(request, context) }
        admin.get(":collection/new") { request, context in try await form(request, context, key: nil) }
        admin.get(":collection/:key") { request, context in try await form(request, context, key: context.parameters.get("key")) }
        admin.post(":collection") { request, context in try await submit(request, context, key: nil) }
        admin.post(":collection/:key") { request, context in try await submit(request, context, key: context.parameters.get("key")) }
        admin.post(":collection/:key/retire") { request, context in try await retire(request, context) }
    }

    func signedIn(_ request: Request, _ context: ManagementContext) async throws -> ConsoleSessions.Session {
        try await console.require(.admin, request, context)
    }

    func kind(_ context: ManagementContext) -> EntityKind? {
        AdminRoutes.collections[context.parameters.get("collection") ?? ""]
    }

    static func collection(_ kind: EntityKind) -> String {
        AdminRoutes.collections.first { $0.value == kind }?.key ?? kind.rawValue
    }

    // MARK: Listing

    func list(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await signedIn(request, context)
        let parameters = request.uri.queryParameters
        let collection = parameters["kind"].map(String.init) ?? "systems"
        let kind = AdminRoutes.collections[collection] ?? .system
        let search = (parameters["q"].map { String($0).removingPercentEncoding ?? String($0) } ?? "").lowercased()
        let status = parameters["status"].map(String.init) ?? ""
        let entries = directory.snapshot.tables.entries.filter { entry in
            entry.ref.kind == kind && (status.isEmpty || entry.status.rawValue == status)
                && (search.isEmpty || Self.summary(entry).lowercased().contains(search) || entry.ref.key.lowercased().contains(search))
        }.sorted { $0.ref.key < $1.ref.key }
        let shown = entries.prefix(500)
        let body: [String: Any] = [
            "tabs": AdminRoutes.collections.keys.sorted().map { ["name": $0, "current": $0 == Self.collection(kind)] },
            "collection": Self.collection(kind), "q": search, "kindName": kind.displayName,
            "statuses": Self.statuses.map { ["value": $0, "selected": $0 == status] },
            "count": entries.count, "more": entries.count > shown.count,
            "entries": shown.map { entry in
                ["key": entry.ref.key, "summary": Self.summary(entry), "status": entry.status.rawValue, "version": entry.version,
                 "href": "/console/admin/\(Self.collection(kind))/\(Self.pathComponent(entry.ref.key))"] as [String: Any]
            },
        ]
        return ConsoleRoutes.page(title: "Routing tables", session: session, body: ConsoleTemplates.render("admin-list", body))
    }

    static func pathComponent(_ key: String) -> String {
        key.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? key
    }

    static func summary(_ entry: DirectoryEntry) -> String {
        switch entry {
        case .organisation(let o): "\(o.name) (\(o.kind.rawValue))"
        case .system(let s): "\(s.name) · \(s.ods.rawValue) · \(s.partyKey.rawValue)"
        case .endpoint(let e): "\(e.address.rawValue) · \(e.ods.rawValue)"
        case .interaction(let i): "\(i.name) · \(i.method.rawValue) \(i.path.rawValue)"
        case .agreement(let a): "\(a.description) · \(a.consumer.description) → \(a.provider.description)"
        }
    }

    // MARK: The form

    /// The form's values from an entry (its JSON fields; lists one per line).
    static func values(of entry: DirectoryEntry) -> [String: String] {
        guard let data = try? entry.jsonData(), case .object(let members)? = JSONValue.parse(Array(data)) else { return [:] }
        func text(_ value: JSONValue) -> String {
            switch value {
            case .null: ""
            case .bool(let flag): flag ? "true" : "false"
            case .number(let number): value.wholeNumber.map(String.init) ?? "\(number)"
            case .string(let string): string
            case .array(let items): items.map(text).joined(separator: "\n")
            case .object: (try? SwitchboardJSON.encoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? ""
            }
        }
        return Dictionary(members.map { ($0.key, text($0.value)) }) { first, _ in first }
    }

    func form(_ request: Request, _ context: ManagementContext, key: String?) async throws -> Response {
        let session = try await signedIn(request, context)
        guard let kind = kind(context) else { return notFound(session) }
        guard let key else { return entryPage(session, kind: kind, key: nil, values: ["status": "active"], version: nil, errors: [:], notice: nil) }
        guard let entry = directory.snapshot.tables[EntityRef(kind, key)] else { return notFound(session) }
        let notice = request.uri.queryParameters["saved"].map { "Saved: the directory is now at generation \($0)." }
        return entryPage(session, kind: kind, key: key, values: Self.values(of: entry), version: entry.version, errors: [:], notice: notice)
    }

    func entryPage(_ session: ConsoleSessions.Session, kind: EntityKind, key: String?, values: [String: String], version: Int?,
                   errors: [String: [String]], notice: String?, general: [String] = [], status: HTTPResponse.Status = .ok) -> Response {
        let collection = Self.collection(kind)
        let fields: [[String: Any]] = Self.fields(kind).map { field in
            var item: [String: Any] = ["name": field.name, "label": field.label, "value": values[field.name] ?? "", "required": field.required,
                                       "id": "field-\(field.name)"]
            switch field.input {
            case .text: item["text"] = true
            case .list: item["list"] = true
            case .choice(let choices):
                item["choice"] = true
                item["choices"] = choices.map { ["value": $0, "selected": $0 == values[field.name]] }
            }
            if let messages = errors[field.name] { item["errors"] = messages.map { ["message": $0] } }
            return item
        }
        let body: [String: Any] = [
            "action": key.map { "/console/admin/\(collection)/\(Self.pathComponent($0))" } ?? "/console/admin/\(collection)",
            "retire": key.map { "/console/admin/\(collection)/\(Self.pathComponent($0))/retire" } as Any,
            "history": key.map { "/console/admin/history?kind=\(kind.rawValue)&key=\(Self.pathComponent($0))" } as Any,
            "csrf": session.csrf, "version": version.map(String.init) ?? "", "fields": fields, "notice": notice as Any,
            "general": general.map { ["message": $0] }, "hasErrors": !errors.isEmpty || !general.isEmpty,
        ]
        let title = key.map { "\(kind.displayName.capitalized) \($0)" } ?? "New \(kind.displayName)"
        return ConsoleRoutes.page(title: title, session: session, status: status, body: ConsoleTemplates.render("admin-entry", body))
    }

    func notFound(_ session: ConsoleSessions.Session) -> Response {
        ConsoleRoutes.page(title: "Not found", session: session, status: .notFound,
                     body: ConsoleTemplates.render("message", ["kind": "error", "message": "There is no such entry.",
                                                               "link": ["href": "/console/admin", "text": "Back to the routing tables"]]))
    }

    /// The entry the form describes, as the API would read it (the same field rules and messages).
    static func entry(_ kind: EntityKind, from form: [String: String]) -> (DirectoryEntry?, [String: [String]], [String]) {
        var pairs: [(Node, Node)] = []
        for field in fields(kind) {
            let text = (form[field.name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty && !field.required { continue }
            switch field.input {
            case .list:
                if kind == .agreement && text == "any" {
                    pairs.append((Node(field.name), Node("any")))
                } else {
                    let items = text.split(whereSeparator: \.isWhitespace).map { Node(String($0)) }
                    pairs.append((Node(field.name), .sequence(Node.Sequence(items))))
                }
            default:
                pairs.append((Node(field.name), Node(text)))
            }
        }
        let result = EntryReader.read(kind, .mapping(Node.Mapping(pairs)), file: "form")
        var errors: [String: [String]] = [:]
        var general: [String] = []
        for issue in result.issues {
            if let field = issue.field { errors[field, default: []].append(issue.message) } else { general.append(issue.message) }
        }
        return (result.issues.isEmpty ? result.entry : nil, errors, general)
    }

    func submit(_ request: Request, _ context: ManagementContext, key: String?) async throws -> Response {
        let session = try await signedIn(request, context)
        guard let kind = kind(context) else { return notFound(session) }
        let form = try await ConsoleRoutes.form(request, context)
        guard let sent = form["csrf"], Secrets.equal(session.csrf, sent) else { return console.csrfRefusal(session, context) }
        let version = form["version"].flatMap { Int($0) }
        let (read, errors, general) = Self.entry(kind, from: form)
        guard var entry = read else {
            return entryPage(session, kind: kind, key: key, values: form, version: version, errors: errors, notice: nil, general: general,
                             status: .unprocessableContent)
        }
        if let key, entry.ref.key != key {
            return entryPage(session, kind: kind, key: key, values: form, version: version,
                             errors: [Self.fields(kind)[0].name: ["The key cannot change; make a new entry instead."]], notice: nil, status: .unprocessableContent)
        }
        entry.version = version ?? 0
        let change: DirectoryChange = key == nil ? .create(entry) : .update(entry, expectedVersion: version)
        return try await previewOrApply(change, form: form, session: session, context: context, kind: kind, key: key, values: form)
    }

    func retire(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await signedIn(request, context)
        guard let kind = kind(context), let key = context.parameters.get("key"), let entry = directory.snapshot.tables[EntityRef(kind, key)] else {
            return notFound(session)
        }
        let form = try await ConsoleRoutes.form(request, context)
        guard let sent = form["csrf"], Secrets.equal(session.csrf, sent) else { return console.csrfRefusal(session, context) }
        let version = form["version"].flatMap { Int($0) }
        return try await previewOrApply(.retire(entry.ref, expectedVersion: version), form: form, session: session, context: context, kind: kind,
                                        key: key, values: Self.values(of: entry))
    }

    /// Without `confirm`: what would change, and a form to confirm it. With it: applies the change.
    func previewOrApply(_ change: DirectoryChange, form: [String: String], session: ConsoleSessions.Session, context: ManagementContext,
                        kind: EntityKind, key: String?, values: [String: String]) async throws -> Response {
        do {
            if form["confirm"] != "1" {
                let changes = try directory.preview([change])
                var hidden = form.filter { $0.key != "confirm" && $0.key != "csrf" }.sorted { $0.key < $1.key }.map { ["name": $0.key, "value": $0.value] }
                hidden.append(["name": "confirm", "value": "1"])
                let entryPath = key.map { "/console/admin/\(Self.collection(kind))/\(Self.pathComponent($0))" }
                let action: String = if case .retire = change, let entryPath { entryPath + "/retire" } else { entryPath ?? "/console/admin/\(Self.collection(kind))" }
                let body: [String: Any] = [
                    "changes": changes.map(Self.diff), "csrf": session.csrf, "hidden": hidden, "none": changes.isEmpty, "action": action,
                    "back": entryPath ?? "/console/admin?kind=\(Self.collection(kind))",
                ]
                return ConsoleRoutes.page(title: "Check the change", session: session, body: ConsoleTemplates.render("admin-preview", body))
            }
            let author = ChangeAuthor(actor: session.principal.name, source: .console, reason: form["reason"].flatMap { $0.isEmpty ? nil : $0 })
            let applied = try await directory.apply([change], author: author)
            let ref: EntityRef = switch change {
            case .create(let entry), .update(let entry, _): entry.ref
            case .retire(let ref, _): ref
            }
            var response = ConsoleRoutes.redirect("/console/admin/\(Self.collection(ref.kind))/\(Self.pathComponent(ref.key))?saved=\(applied.generation)")
            response.headers[.eTag] = "\"\(applied.generation)\""
            return response
        } catch let error as DirectoryChangeError {
            context.call.refusal = "validation-failed"
            var errors: [String: [String]] = [:]
            var general: [String] = []
            switch error {
            case .invalid(let validation):
                for issue in validation.issues {
                    if let field = issue.field, issue.entry == nil || issue.entry?.key == key || key == nil { errors[field, default: []].append(issue.message) }
                    else { general.append("\(issue.entry.map { "\($0): " } ?? "")\(issue.message)") }
                }
            default:
                general.append(error.description)
            }
            return entryPage(session, kind: kind, key: key, values: values, version: form["version"].flatMap { Int($0) }, errors: errors, notice: nil,
                             general: general, status: .unprocessableContent)
        }
    }

    static func diff(_ change: EntryChange) -> [String: Any] {
        let before = change.before.map(values(of:)) ?? [:]
        let after = change.after.map(values(of:)) ?? [:]
        let names = Set(before.keys).union(after.keys).subtracting(["version"]).sorted()
        let rows: [[String: String]] = names.compactMap { name in
            let old = before[name] ?? "", new = after[name] ?? ""
            return old == new ? nil : ["field": name, "before": old.isEmpty ? "—" : old, "after": new.isEmpty ? "—" : new]
        }
        return ["action": change.action.rawValue, "ref": change.ref.description, "rows": rows]
    }

    // MARK: Batches

    func batchForm(_ request: Request, _ context: ManagementContext, text: String, errors: [String], status: HTTPResponse.Status) async throws -> Response {
        let session = try await signedIn(request, context)
        return ConsoleRoutes.page(title: "Apply a batch", session: session, status: status, body: ConsoleTemplates.render("admin-batch", [
            "csrf": session.csrf, "text": text, "errors": errors.map { ["message": $0] }, "hasErrors": !errors.isEmpty,
        ]))
    }

    /// A batch as the API takes it (`{"changes": [...], "reason": "..."}`): previewed as a whole,
    /// then applied all-or-nothing once confirmed.
    func batch(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await signedIn(request, context)
        let form = try await ConsoleRoutes.form(request, context)
        guard let sent = form["csrf"], Secrets.equal(session.csrf, sent) else { return console.csrfRefusal(session, context) }
        let text = form["changes"] ?? ""
        let changes: [DirectoryChange]
        let reason: String?
        do {
            (changes, reason) = try AdminRoutes.batch(json: text)
        } catch {
            let problems = error.issues.isEmpty ? [error.message] : error.issues.map { "\($0.entry.map { "\($0) " } ?? "")\($0.field.map { "\($0): " } ?? "")\($0.message)" }
            return try await batchForm(request, context, text: text, errors: problems, status: error.status)
        }
        do {
            if form["confirm"] != "1" {
                let preview = try directory.preview(changes)
                return ConsoleRoutes.page(title: "Check the batch", session: session, body: ConsoleTemplates.render("admin-preview", [
                    "changes": preview.map(Self.diff), "csrf": session.csrf, "none": preview.isEmpty, "action": "/console/admin/batch",
                    "back": "/console/admin/batch", "hidden": [["name": "changes", "value": text], ["name": "confirm", "value": "1"]],
                ]))
            }
            let applied = try await directory.apply(changes, author: ChangeAuthor(actor: session.principal.name, source: .console, reason: reason))
            return ConsoleRoutes.page(title: "Batch applied", session: session, body: ConsoleTemplates.render("message", [
                "kind": "ok", "message": "\(applied.changes.count) change(s) applied; the directory is now at generation \(applied.generation).",
                "link": ["href": "/console/admin/history", "text": "See the history"],
            ]))
        } catch let error as DirectoryChangeError {
            context.call.refusal = "validation-failed"
            let messages: [String] = if case .invalid(let validation) = error {
                validation.issues.map { "\($0.entry.map { "\($0): " } ?? "")\($0.field.map { "\($0): " } ?? "")\($0.message)" }
            } else { [error.description] }
            return try await batchForm(request, context, text: text, errors: messages, status: .unprocessableContent)
        }
    }

    // MARK: History

    func history(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let session = try await signedIn(request, context)
        var query = HistoryQuery(limit: 100)
        let parameters = request.uri.queryParameters
        if let kind = parameters["kind"].flatMap({ EntityKind(rawValue: String($0)) }) {
            query.kind = kind
            if let key = parameters["key"].map({ String($0).removingPercentEncoding ?? String($0) }) { query.entry = EntityRef(kind, key) }
        }
        let records = try await directory.store.history(query)
        let rows: [[String: Any]] = records.map { record in
            [
                "at": ConsoleRoutes.time(record.at), "actor": record.author.actor, "source": record.author.source.rawValue,
                "reason": record.author.reason ?? "", "action": record.action.rawValue, "ref": record.ref.description,
                "generation": record.generation,
                "changes": (Self.diff(EntryChange(action: record.action, before: record.before, after: record.after))["rows"] as? [[String: String]]) ?? [],
            ]
        }
        return ConsoleRoutes.page(title: "Change history", session: session,
                            body: ConsoleTemplates.render("admin-history", ["records": rows, "empty": rows.isEmpty]))
    }
}
