import HTTPTypes
import Foundation
public import Hummingbird
import NIOCore
import SwitchboardCore
public import SwitchboardDirectory

/// `/admin/…`: the routing tables as JSON — list, read, create, update, retire, an atomic batch
/// and the change history. Every change is validated as a whole, versioned (`ETag`; a stale
/// `If-Match` is `409`) and recorded with who made it. Bodies and queries are read strictly
/// (``JSONBody``, ``FormQuery``): what `Docs/management-api.yaml` does not allow is refused before
/// anything changes.
public struct AdminRoutes: Sendable {
    public let directory: Directory
    /// The largest request body taken, in bytes (`management.maximumBodyBytes`).
    public let maximumBody: Int

    public init(directory: Directory, maximumBody: Int = 1 << 20) {
        self.directory = directory
        self.maximumBody = maximumBody
    }

    /// The URL segment for each kind.
    static let collections: [String: EntityKind] = [
        "organisations": .organisation, "systems": .system, "endpoints": .endpoint, "interactions": .interaction, "agreements": .agreement,
    ]

    public func register(on router: Router<ManagementContext>) {
        let admin = router.group("admin")
        admin.post("batch") { request, context in try await batch(request, context) }
        admin.get("history") { request, context in try await history(request, context) }
        for (collection, kind) in Self.collections {
            admin.get(RouterPath(stringLiteral: collection)) { request, context in try list(request, context, kind) }
            admin.post(RouterPath(stringLiteral: collection)) { request, context in try await create(request, context, kind) }
            admin.get(RouterPath(stringLiteral: "\(collection)/:key")) { request, context in try read(request, context, kind) }
            admin.put(RouterPath(stringLiteral: "\(collection)/:key")) { request, context in try await update(request, context, kind) }
            admin.delete(RouterPath(stringLiteral: "\(collection)/:key")) { request, context in try await retire(request, context, kind) }
        }
    }

    // MARK: Handlers

    func list(_ request: Request, _ context: ManagementContext, _ kind: EntityKind) throws -> Response {
        let query = try FormQuery(request)
        try query.only(["status", "ods"])
        let status = query["status"] ?? "all"
        guard ["all", "active", "retired"].contains(status) else {
            throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "status must be all, active or retired")
        }
        var ods: String?
        if let text = query["ods"] {
            guard ODSCode(text) != nil else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "ods '\(text.prefix(32))' is not an ODS code (3 to 10 upper-case letters and digits)")
            }
            ods = text
        }
        let entries = directory.snapshot.tables.entries.filter { entry in
            entry.ref.kind == kind && (status == "all" || entry.status.rawValue == status) && (ods.map { Self.ods(of: entry) == $0 } ?? true)
        }
        return try EntryListAnswer(generation: directory.snapshot.generation, entries: entries).response(request, context)
    }

    func read(_ request: Request, _ context: ManagementContext, _ kind: EntityKind) throws -> Response {
        try FormQuery(request).only([])
        return try entryResponse(try existing(EntityRef(kind, context.parameters.get("key") ?? "")), request, context, status: .ok)
    }

    func create(_ request: Request, _ context: ManagementContext, _ kind: EntityKind) async throws -> Response {
        try FormQuery(request).only([])
        let reason = try AdminHeaders.reason(request)
        let entry = try await readEntry(kind, from: request)
        try await apply([.create(entry)], context: context, reason: reason)
        return try entryResponse(try existing(entry.ref), request, context, status: .created)
    }

    func update(_ request: Request, _ context: ManagementContext, _ kind: EntityKind) async throws -> Response {
        try FormQuery(request).only([])
        let ref = EntityRef(kind, context.parameters.get("key") ?? "")
        _ = try existing(ref)
        let expected = try Self.expectedVersion(request, required: true)
        let reason = try AdminHeaders.reason(request)
        var entry = try await readEntry(kind, from: request)
        guard entry.ref == ref else {
            throw ManagementError(status: .unprocessableContent, code: "key-mismatch", message: "the body names \(entry.ref), the path \(ref); they must be the same entry",
                                  issues: [.init(entry: ref.description, field: EntryBodySchema.of(kind).keyField, rule: "key-mismatch", message: "must be \(ref.key), as in the path")])
        }
        entry.version = expected ?? 0
        try await apply([.update(entry, expectedVersion: expected)], context: context, reason: reason)
        return try entryResponse(try existing(ref), request, context, status: .ok)
    }

    func retire(_ request: Request, _ context: ManagementContext, _ kind: EntityKind) async throws -> Response {
        try FormQuery(request).only([])
        let ref = EntityRef(kind, context.parameters.get("key") ?? "")
        _ = try existing(ref)
        let expected = try Self.expectedVersion(request, required: true)
        let reason = try AdminHeaders.reason(request)
        try await apply([.retire(ref, expectedVersion: expected)], context: context, reason: reason)
        return try entryResponse(try existing(ref), request, context, status: .ok)
    }

    /// `{"changes": [{"op": "create"|"update"|"retire", "kind": "system", "key": "…", "entry": {…},
    /// "expectedVersion": 3}], "reason": "…"}`; `?dryRun=true` answers what would change, or what
    /// the batch itself would be refused with, and changes nothing.
    func batch(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let query = try FormQuery(request)
        try query.only(["dryRun"])
        let dryRun = try query.flag("dryRun")
        let headerReason = try AdminHeaders.reason(request)
        let body = try await JSONBody.read(BatchBody.self, from: request, limit: maximumBody)
        let changes = try Self.changes(body)
        let reason = body.reason.flatMap { $0.isEmpty ? nil : $0 } ?? headerReason
        if dryRun {
            do {
                return try ChangesAnswer(generation: directory.snapshot.generation, changes: try directory.preview(changes).map(ChangesAnswer.Change.init),
                                          dryRun: true).response(request, context)
            } catch let error as DirectoryChangeError {
                throw Self.managementError(error)
            }
        }
        let applied = try await apply(changes, context: context, reason: reason)
        return try ChangesAnswer(generation: applied.generation, changes: applied.changes.map(ChangesAnswer.Change.init), dryRun: false).response(request, context)
    }

    func history(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let parameters = try FormQuery(request)
        try parameters.only(["kind", "key", "limit", "before"])
        var query = HistoryQuery(limit: 100)
        if let kindName = parameters["kind"] {
            guard let kind = EntityKind(rawValue: kindName) else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter",
                                      message: "kind must be one of \(EntityKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.kind = kind
        }
        if let key = parameters["key"] {
            guard (1...FieldLength.address).contains(key.count), !key.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "key must be 1 to \(FieldLength.address) printable characters")
            }
            if let kind = query.kind { query.entry = EntityRef(kind, key) } else { query.key = key }
        }
        if let limit = parameters["limit"] {
            guard let value = Int(limit), (1...1000).contains(value) else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "limit must be 1 to 1000")
            }
            query.limit = value
        }
        if let before = parameters["before"] {
            guard let value = Int64(before), value > 0 else {
                throw ManagementError(status: .badRequest, code: "invalid-parameter", message: "before must be a sequence number from a previous page")
            }
            query.beforeSequence = value
        }
        let records = try await directory.store.history(query)
        return try HistoryAnswer(changes: records.map(HistoryAnswer.Change.init)).response(request, context)
    }

    // MARK: Helpers

    @discardableResult
    func apply(_ changes: [DirectoryChange], context: ManagementContext, reason: String?) async throws -> AppliedChanges {
        let author = ChangeAuthor(actor: context.principal?.name ?? "unknown", source: .api, reason: reason)
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

    /// The entry the path names; `404` when there is none.
    func existing(_ ref: EntityRef) throws -> DirectoryEntry {
        guard let entry = directory.snapshot.tables[ref] else {
            throw ManagementError(status: .notFound, code: "not-found", message: "\(ref) does not exist")
        }
        return entry
    }

    /// One entry, with its version as a weak ETag for the next `If-Match`.
    func entryResponse(_ entry: DirectoryEntry, _ request: Request, _ context: ManagementContext, status: HTTPResponse.Status) throws -> Response {
        try EntryAnswer(entry: entry).response(request, context, status: status, headers: [.eTag: "W/\"\(entry.version)\""])
    }

    static func ods(of entry: DirectoryEntry) -> String? {
        switch entry {
        case .organisation(let value): value.ods.rawValue
        case .system(let value): value.ods.rawValue
        case .endpoint(let value): value.ods.rawValue
        case .interaction, .agreement: nil
        }
    }

    /// `If-Match: W/"3"` (or the strong `"3"`); `428` when required and absent, `400` for
    /// anything else (`*` included: a change names the version it read).
    static func expectedVersion(_ request: Request, required: Bool) throws -> Int? {
        guard let value = request.headers[.ifMatch] else {
            if required {
                throw ManagementError(status: .preconditionRequired, code: "if-match-required",
                                      message: "send If-Match with the ETag you read, so a change made meanwhile is not overwritten")
            }
            return nil
        }
        var text = Substring(value)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        guard text.count >= 3, text.hasPrefix("\""), text.hasSuffix("\""), case let digits = text.dropFirst().dropLast(),
              digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let version = Int(digits) else {
            throw ManagementError(status: .badRequest, code: "invalid-if-match", message: "If-Match must be the ETag this API gave, e.g. W/\"3\"")
        }
        return version
    }

    func readEntry(_ kind: EntityKind, from request: Request) async throws -> DirectoryEntry {
        try await JSONBody.read(EntryBody.self, from: request, limit: maximumBody, userInfo: [EntryBody.schemaKey: EntryBodySchema.of(kind)]).entry()
    }

    /// A batch's changes, each entry read by the same rules as a single create or update; `422`
    /// naming every change that breaks one.
    static func changes(_ body: BatchBody) throws(ManagementError) -> [DirectoryChange] {
        var changes: [DirectoryChange] = []
        var issues: [ManagementError.Issue] = []
        for (index, change) in body.changes.enumerated() {
            do {
                switch change.op {
                case "retire":
                    changes.append(.retire(EntityRef(change.kind, change.key ?? ""), expectedVersion: change.expectedVersion))
                default:
                    guard let entryBody = change.entry else { continue }
                    let entry = try entryBody.entry()
                    changes.append(change.op == "create" ? .create(entry) : .update(entry, expectedVersion: change.expectedVersion))
                }
            } catch {
                issues += error.issues.map { issue in
                    var issue = issue
                    issue.entry = "changes[\(index)]" + (issue.entry.map { " \($0)" } ?? "")
                    return issue
                }
            }
        }
        guard issues.isEmpty else {
            throw ManagementError(status: .unprocessableContent, code: "invalid-batch", message: "\(issues.count) rule(s) broken in the batch; nothing was applied",
                                  issues: issues)
        }
        return changes
    }

    /// A batch from JSON text (the console's form), read as the API reads its body.
    static func batch(json text: String) throws(ManagementError) -> (changes: [DirectoryChange], reason: String?) {
        let body = try JSONBody.decode(BatchBody.self, from: Array(text.utf8))
        return (try changes(body), body.reason)
    }
}
