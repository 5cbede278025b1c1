import HTTPTypes
import Foundation
public import Hummingbird
import NIOCore
public import SwitchboardAudit

/// `/audit/…`: the exchange log for auditors — search (JSON, CSV, FHIR AuditEvent), one
/// record, volume reports, chain verification.
public struct AuditRoutes: Sendable {
    public let store: any AuditStore

    public init(store: any AuditStore) {
        self.store = store
    }

    public func register(on router: Router<ManagementContext>) {
        let audit = router.group("audit")
        audit.get("exchanges") { request, _ in try await exchanges(request) }
        audit.get("exchanges/:id") { _, context in try await exchange(context) }
        audit.get("report") { request, _ in try await report(request) }
        audit.get("verify") { request, _ in try await verify(request) }
    }

    /// Query parameters except those that choose the format.
    static func filters(_ request: Request, excluding: Set<String> = ["format"]) -> [(String, String)] {
        request.uri.queryParameters.compactMap { name, value in
            excluding.contains(String(name)) ? nil : (String(name), String(value).removingPercentEncoding ?? String(value))
        }
    }

    static func query(_ request: Request) throws -> AuditQuery {
        do { return try AuditQuery(parameters: filters(request)) } catch {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: error.description,
                                  issues: [.init(entry: nil, field: error.parameter, rule: "invalid-filter", message: error.message)])
        }
    }

    func exchanges(_ request: Request) async throws -> Response {
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        let page = try await store.exchanges(try Self.query(request))
        var headers: HTTPFields = [.cacheControl: "no-store"]
        if let next = page.nextCursor { headers[HTTPField.Name("X-Next-Cursor")!] = "\(next)" }
        switch format {
        case "json":
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try AuditExport.json(page.records, nextCursor: page.nextCursor))))
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

    func exchange(_ context: ManagementContext) async throws -> Response {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw ManagementError(status: .badRequest, code: "invalid-id", message: "an exchange id is a UUID (the X-Request-ID)")
        }
        guard let record = try await store.exchange(id: id) else {
            throw ManagementError(status: .notFound, code: "not-found", message: "no exchange has the id \(text)")
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try AuditExport.json(record))))
    }

    func report(_ request: Request) async throws -> Response {
        let format = request.uri.queryParameters["format"].map(String.init) ?? "json"
        guard format == "json" || format == "csv" else {
            throw ManagementError(status: .badRequest, code: "invalid-filter", message: "format must be json or csv")
        }
        let report = try await AuditReport.build(from: store, query: try Self.query(request))
        if format == "csv" {
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: report.csv())))
        }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: try report.json())))
    }

    func verify(_ request: Request) async throws -> Response {
        let node = request.uri.queryParameters["node"].map(String.init)
        let result = try await store.verify(node: node)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        struct Body: Encodable {
            var intact: Bool
            var records: Int
            var chains: [ChainVerification.NodeChain]
        }
        let body = try encoder.encode(Body(intact: result.isIntact, records: result.totalRecords, chains: result.chains))
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
