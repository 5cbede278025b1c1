import HTTPTypes
import Foundation
public import Hummingbird
import NIOCore
public import SwitchboardAudit
import SwitchboardCore

/// `/audit/…`: the exchange log for auditors — search (JSON, CSV, FHIR AuditEvent), one
/// record, volume reports, chain verification.
public struct AuditRoutes: Sendable {
    public let store: any AuditStore
    /// Looks up the `nhs-number` filter; `nil`: the filter is refused.
    public let nhsNumberKey: NHSNumberKey?

    public init(store: any AuditStore, nhsNumberKey: NHSNumberKey? = nil) {
        self.store = store
        self.nhsNumberKey = nhsNumberKey
    }

    public func register(on router: Router<ManagementContext>) {
        let audit = router.group("audit")
        audit.get("exchanges") { request, context in try await exchanges(request, context) }
        audit.get("export") { request, _ in try export(request) }
        audit.get("exchanges/:id") { request, context in try await exchange(request, context) }
        audit.get("report") { request, context in try await report(request, context) }
        audit.get("verify") { request, context in try await verify(request, context) }
    }

    /// The filters a query takes, by route: a search pages, a whole-period read does not.
    static let searchParameters = Set(AuditQuery.parameterNames)
    static let periodParameters = searchParameters.subtracting(["limit", "cursor"])

    /// The query's filters (every parameter but `format`), checked against what the route takes.
    func query(_ parameters: FormQuery, taking allowed: Set<String>) throws -> AuditQuery {
        try parameters.only(allowed.union(["format"]))
        do { return try AuditQuery(parameters: parameters.excluding(["format"]), nhsNumberKey: nhsNumberKey) } catch {
            throw ManagementError(status: error.unprocessable ? .unprocessableContent : .badRequest, code: "invalid-filter", message: error.description,
                                  issues: [.init(entry: nil, field: error.parameter, rule: "invalid-filter", message: error.message)])
        }
    }

    func exchanges(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let parameters = try FormQuery(request)
        let query = try query(parameters, taking: Self.searchParameters)
        let format = parameters["format"] ?? "json"
        let page = try await store.exchanges(query)
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if let next = page.nextCursor { headers[HTTPField.Name("X-Next-Cursor")!] = "\(next)" }
        switch format {
        case "json":
            return try ExchangePageAnswer(records: page.records, nextCursor: page.nextCursor.map(String.init)).response(request, context, headers: headers)
        case "csv":
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.contentDisposition] = "attachment; filename=\"switchboard-audit.csv\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: AuditExport.csv(page.records))))
        case "fhir":
            headers[.contentType] = "application/fhir+json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try AuditExport.fhirBundle(page.records))))
        default:
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "format must be json, csv or fhir")
        }
    }

    /// Every record of a period (all the query's filters, no paging) as one CSV, JSON or FHIR
    /// document, streamed a page at a time.
    func export(_ request: Request) throws -> Response {
        let parameters = try FormQuery(request)
        for paging in ["limit", "cursor"] where parameters[paging] != nil {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "\(paging): an export reads the whole period; leave out limit and cursor")
        }
        let query = try query(parameters, taking: Self.periodParameters)
        let format = parameters["format"] ?? "csv"
        guard let chosen = AuditExport.Format(rawValue: format) else {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "format must be csv, json, fhir, ndjson or fhir-ndjson")
        }
        let store = self.store
        var headers: HTTPFields = [.contentType: AuditExportStream.contentType(chosen), .cacheControl: "no-store"]
        headers[.contentDisposition] = "attachment; filename=\"switchboard-audit.\(AuditExportStream.fileExtension(chosen))\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            try await AuditExportStream.write(from: store, query: query, format: chosen) { chunk in
                try await writer.write(ByteBuffer(bytes: chunk))
            }
            try await writer.finish(nil)
        })
    }

    func exchange(_ request: Request, _ context: ManagementContext) async throws -> Response {
        try FormQuery(request).only([])
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw ManagementError(status: .badRequest, code: "invalid-id", message: "an exchange id is a UUID (the X-Request-ID)")
        }
        guard let record = try await store.exchange(id: id) else {
            throw ManagementError(status: .notFound, code: "not-found", message: "no exchange has the id \(text)")
        }
        return try ExchangeAnswer(record: record).response(request, context)
    }

    func report(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let parameters = try FormQuery(request)
        let query = try query(parameters, taking: Self.periodParameters)
        let format = parameters["format"] ?? "json"
        guard format == "json" || format == "csv" else {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "format must be json or csv")
        }
        let report = try await AuditReport.build(from: store, query: query)
        if format == "csv" {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: report.csv())))
        }
        return try ReportAnswer(report: report).response(request, context)
    }

    func verify(_ request: Request, _ context: ManagementContext) async throws -> Response {
        let parameters = try FormQuery(request)
        try parameters.only(["node"])
        let node = parameters["node"]
        if let node, !NodeID.isValid(node) {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "node must be \(NodeID.rule)")
        }
        let result = try await store.verify(node: node)
        return try VerificationAnswer(intact: result.isIntact, records: result.totalRecords, chains: result.chains).response(request, context)
    }
}
