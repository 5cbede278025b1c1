import HTTPTypes
import Foundation
public import Hummingbird
import NIOCore
import SwitchboardCore
public import SwitchboardDirectory
import Yams

/// `/admin/…`: the routing tables as JSON — list, read, create, update, retire, an atomic batch
/// and the change history. Every change is validated as a whole, versioned (`ETag`; a stale
/// `If-Match` is `409`) and recorded with who made it.
public struct AdminRoutes: Sendable {
    public let directory: Directory

    public init(directory: Directory) {
        self.directory = directory
    }

    /// The URL segment for each kind.
    static let collections: [String: EntityKind] = [
        "organisations": .organisation, "systems": .system, "endpoints": .endpoint, "interactions": .interaction, "agreements": .agreement,
    ]

    public func register(on router: Router<ManagementContext>) {
        let admin = router.group("admin")
        admin.get(":collection") { request, context in try list(request, context) }
        admin.get(":collection/:key") { request, context in try read(request, context) }
        admin.post(":collection") { request, context in try await create(request, context) }
        admin.put(":collection/:key") { request, context in try await update(request, context) }
        admin.delete(":collection/:key") { request, context in try await retire(request, context) }
        admin.post("batch") { request, context in try await batch(request, context) }
        admin.get("history") { request, context in try await history(request, context) }
    }

    // MARK: Handlers

    func kind(_ context: ManagementContext) throws -> EntityKind {
        let name = context.parameters.get("collection") ?? ""
        guard let kind = Self.collections[name] else {
            throw ManagementError(status: .notFound, code: "not-found",
                                  message: "no collection '\(name)'; use one of \(Self.collections.keys.sorted().joined(separator: ", "))")
        }
        return kind
    }

    func list(_ request: Request, _ context: ManagementContext) throws -> Response {
        let kind = try kind(context)
        let status = request.uri.queryParameters["status"].map(String.init) ?? "all"
        guard ["all", "active", "retired"].contains(status) else {
            throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "status must be all, active or retired")
        }
        let ods = request.uri.queryParameters["ods"].map(String.init)
        let entries = directory.snapshot.tables.entries.filter { entry in
            entry.ref.kind == kind && (status == "all" || entry.status.rawValue == status) && (ods.map { Self.ods(of: entry) == $0 } ?? true)
        }
        var body = Data("{\"generation\":\(directory.snapshot.generation),\"entries\":[".utf8)
        for (index, entry) in entries.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(try entry.jsonData())
        }
        body.append(contentsOf: Array("]}".utf8))
        return json(body)
    }

    func read(_ request: Request, _ context: ManagementContext) throws -> Response {
        let ref = EntityRef(try kind(context), context.parameters.get("key") ?? "")
        guard let entry = directory.snapshot.tables[ref] else {
            throw ManagementError(status: .notFound, code: "not-found", message: "\(ref) does not exist")
        }
        return try entryResponse(entry, status: .ok)
    }

    func create(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let kind = try kind(context)
        let entry = try await Self.readEntry(kind, from: request)
        let applied = try await apply([.create(entry)], request: request, context: context)
        return try entryResponse(try current(entry.ref, generation: applied.generation), status: .created)
    }

    func update(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let ref = EntityRef(try kind(context), context.parameters.get("key") ?? "")
        let expected = try Self.expectedVersion(request, required: true)
        var entry = try await Self.readEntry(ref.kind, from: request)
        guard entry.ref == ref else {
            throw ManagementError(status: .badRequest, code: "key-mismatch", message: "the body names \(entry.ref), the path \(ref)")
        }
        entry.version = expected ?? 0
        try await apply([.update(entry, expectedVersion: expected)], request: request, context: context)
        return try entryResponse(try current(ref, generation: nil), status: .ok)
    }

    func retire(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let ref = EntityRef(try kind(context), context.parameters.get("key") ?? "")
        let expected = try Self.expectedVersion(request, required: true)
        try await apply([.retire(ref, expectedVersion: expected)], request: request, context: context)
        return try entryResponse(try current(ref, generation: nil), status: .ok)
    }

    /// `{"changes": [{"op": "create"|"update"|"retire", "kind": "system", "key": "…", "entry": {…},
    /// "expectedVersion": 3}], "reason": "…"}`; `?dryRun=true` returns what would change.
    func batch(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let (changes, reason) = try Self.batch(try await Self.body(request))
        if request.uri.queryParameters["dryRun"] == "true" {
            let preview = try directory.preview(changes)
            return try changesResponse(generation: directory.snapshot.generation, changes: preview, dryRun: true)
        }
        let applied = try await apply(changes, request: request, context: context, reason: reason)
        return try changesResponse(generation: applied.generation, changes: applied.changes, dryRun: false)
    }

    func history(_ request: Request, _ context: ManagementContext) async throws -> Response {
        var query = HistoryQuery(limit: 100)
        let parameters = request.uri.queryParameters
        if let kindName = parameters["kind"].map(String.init) {
            guard let kind = EntityKind(rawValue: kindName) else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter",
                                      message: "kind must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.kind = kind
            if let key = parameters["key"].map(String.init) { query.entry = EntityRef(kind, key) }
        }
        if let limit = parameters["limit"].map(String.init) {
            guard let value = Int(limit), (1...1000).contains(value) else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "limit must be 1 to 1000")
            }
            query.limit = value
        }
        if let before = parameters["before"].map(String.init) {
            guard let value = Int64(before), value > 0 else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "before must be a sequence number from a previous page")
            }
            query.beforeSequence = value
        }
        let records = try await directory.store.history(query)
        var body = Data("{\"changes\":[".utf8)
        for (index, record) in records.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            let header: [String: Any] = [
                "sequence": record.sequence, "generation": record.generation,
                "at": record.at.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)),
                "actor": record.author.actor, "source": record.author.source.rawValue, "reason": record.author.reason ?? NSNull(),
                "action": record.action.rawValue, "kind": record.ref.kind.rawValue, "key": record.ref.key,
            ]
            var text = String(decoding: try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
            text.removeLast()
            text += ",\"before\":" + (try record.before.map { String(decoding: try $0.jsonData(), as: UTF8.self) } ?? "null")
            text += ",\"after\":" + (try record.after.map { String(decoding: try $0.jsonData(), as: UTF8.self) } ?? "null") + "}"
            body.append(contentsOf: Array(text.utf8))
        }
        body.append(contentsOf: Array("]}".utf8))
        return json(body)
    }

    // MARK: Helpers

    @discardableResult
    func apply(_ changes: [DirectoryChange], request: Request, context: ManagementContext, reason: String? = nil) async throws -> AppliedChanges {
        let author = ChangeAuthor(actor: context.principal?.name ?? "unknown", source: .api,
                                  reason: reason ?? request.headers[HTTPField.Name("X-Change-Reason")!])
        do {
            return try await directory.apply(changes, author: author)
        } catch let error as DirectoryChangeError {
            throw Self.managementError(error)
        }
    }

    static func managementError(_ error: DirectoryChangeError) -> ManagementError {
        switch error {
        case .notFound(let ref):
            return ManagementError(status: .notFound, code: "not-found", message: "\(ref) does not exist")
        case .alreadyExists(let ref):
            return ManagementError(status: .conflict, code: "already-exists", message: "\(ref) already exists")
        case .versionConflict(let ref, let expected, let current):
            var headers = HTTPFields()
            headers[.eTag] = "W/\"\(current)\""
            return ManagementError(status: .conflict, code: "version-conflict",
                                   message: "\(ref) is at version \(current), not \(expected): reload it and apply your change again", headers: headers)
        case .invalid(let validation):
            return ManagementError(status: .unprocessableContent, code: "validation-failed",
                                   message: "\(validation.issues.count) rule(s) broken; nothing was changed", issues: validation.issues.map(issue))
        case .retriesExhausted:
            return ManagementError(status: .serviceUnavailable, code: "busy", message: error.description)
        }
    }

    static func issue(_ issue: ValidationIssue) -> ManagementError.Issue {
        ManagementError.Issue(entry: issue.entry?.description, field: issue.field, rule: issue.rule.rawValue, message: issue.message)
    }

    func current(_ ref: EntityRef, generation: Int64?) throws -> DirectoryEntry {
        guard let entry = directory.snapshot.tables[ref] else { throw ManagementError(status: .notFound, code: "not-found", message: "\(ref) does not exist") }
        return entry
    }

    func entryResponse(_ entry: DirectoryEntry, status: HTTPResponse.Status) throws -> Response {
        var response = json(try entry.jsonData(), status: status)
        response.headers[.eTag] = "W/\"\(entry.version)\""
        return response
    }

    func changesResponse(generation: Int64, changes: [EntryChange], dryRun: Bool) throws -> Response {
        let items: [[String: Any]] = changes.map { change in
            var item: [String: Any] = ["action": change.action.rawValue, "kind": change.ref.kind.rawValue, "key": change.ref.key]
            if let before = change.before, let object = try? JSONSerialization.jsonObject(with: before.jsonData()) { item["before"] = object }
            if let after = change.after, let object = try? JSONSerialization.jsonObject(with: after.jsonData()) { item["after"] = object }
            return item
        }
        let body: [String: Any] = ["generation": generation, "dryRun": dryRun, "changes": items]
        return json(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
    }

    func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func ods(of entry: DirectoryEntry) -> String? {
        switch entry {
        case .organisation(let value): value.ods.rawValue
        case .system(let value): value.ods.rawValue
        case .endpoint(let value): value.ods.rawValue
        case .interaction, .agreement: nil
        }
    }

    /// `If-Match: W/"3"` (or `"3"`, or `3`); `428` when required and absent.
    static func expectedVersion(_ request: Request, required: Bool) throws -> Int? {
        guard let value = request.headers[.ifMatch] else {
            if required {
                throw ManagementError(status: .preconditionRequired, code: "if-match-required",
                                      message: "send If-Match with the ETag you read, so a change made meanwhile is not overwritten")
            }
            return nil
        }
        let trimmed = value.replacingOccurrences(of: "W/", with: "").trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        guard let version = Int(trimmed) else {
            throw ManagementError(status: .badRequest, code: "invalid-if-match", message: "If-Match '\(value)' is not an ETag this API gave")
        }
        return version
    }

    static func body(_ request: Request) async throws -> Node {
        let buffer = try await request.body.collect(upTo: 16 * 1024 * 1024)
        let text = String(buffer: buffer)
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw ManagementError(status: .badRequest, code: "malformed-json", message: "the body is not valid JSON: \(error)")
        }
        guard let node else { throw ManagementError(status: .badRequest, code: "malformed-json", message: "the body is empty") }
        guard case .mapping = node else { throw ManagementError(status: .badRequest, code: "malformed-json", message: "the body must be a JSON object") }
        return node
    }

    static func readEntry(_ kind: EntityKind, from request: Request) async throws -> DirectoryEntry {
        try entry(kind, try await body(request))
    }

    static func entry(_ kind: EntityKind, _ node: Node) throws -> DirectoryEntry {
        let result = EntryReader.read(kind, node, file: "body", acceptVersion: true)
        guard let entry = result.entry, result.issues.isEmpty else {
            throw ManagementError(status: .badRequest, code: "invalid-entry", message: "the \(kind.displayName) cannot be read",
                                  issues: result.issues.map { found in Self.issue(found) })
        }
        return entry
    }

    /// A batch's changes and reason, from `{"changes": [...], "reason": "..."}`; throws with every
    /// change that cannot be read.
    static func batch(_ node: Node) throws -> (changes: [DirectoryChange], reason: String?) {
        guard case .mapping(let top) = node, let list = top["changes"], case .sequence(let items) = list else {
            throw ManagementError(status: .badRequest, code: "invalid-batch", message: "the body must be {\"changes\": [ … ]}")
        }
        var changes: [DirectoryChange] = []
        var issues: [ManagementError.Issue] = []
        for (index, item) in items.enumerated() {
            do {
                changes.append(try Self.change(item))
            } catch let error as ManagementError {
                issues += error.issues.isEmpty
                    ? [ManagementError.Issue(entry: "changes[\(index)]", field: nil, rule: error.code, message: error.message)]
                    : error.issues.map { var issue = $0; issue.entry = "changes[\(index)]" + ($0.entry.map { " \($0)" } ?? ""); return issue }
            }
        }
        guard issues.isEmpty else {
            throw ManagementError(status: .badRequest, code: "invalid-batch", message: "\(issues.count) change(s) cannot be read; nothing was applied", issues: issues)
        }
        return (changes, top["reason"]?.string)
    }

    static func change(_ node: Node) throws -> DirectoryChange {
        guard case .mapping(let item) = node, let op = item["op"]?.string, let kindName = item["kind"]?.string else {
            throw ManagementError(status: .badRequest, code: "invalid-change", message: "each change needs op and kind")
        }
        guard let kind = EntityKind(rawValue: kindName) else {
            throw ManagementError(status: .badRequest, code: "invalid-change", message: "kind '\(kindName)' must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let expected = item["expectedVersion"]?.int
        switch op {
        case "create", "update":
            guard let entryNode = item["entry"] else { throw ManagementError(status: .badRequest, code: "invalid-change", message: "\(op) needs entry") }
            let entry = try entry(kind, entryNode)
            return op == "create" ? .create(entry) : .update(entry, expectedVersion: expected)
        case "retire":
            guard let key = item["key"]?.string else { throw ManagementError(status: .badRequest, code: "invalid-change", message: "retire needs key") }
            return .retire(EntityRef(kind, key), expectedVersion: expected)
        default:
            throw ManagementError(status: .badRequest, code: "invalid-change", message: "op '\(op)' must be create, update or retire")
        }
    }
}
