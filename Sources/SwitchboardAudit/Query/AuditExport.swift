public import Foundation
import SwitchboardCore

/// Writes exchange records as JSON, CSV or a FHIR STU3 `AuditEvent` Bundle. Every timestamp is
/// RFC 3339 in UTC with its `Z` (a FHIR `instant`); every exchange id is lower-case, as in
/// `X-Request-ID`.
public enum AuditExport {
    public enum Format: String, Sendable, CaseIterable {
        case json, csv, fhir
        /// One record per line (newline-delimited JSON).
        case ndjson
        /// One FHIR STU3 AuditEvent per line, as FHIR bulk data writes resources.
        case fhirNDJSON = "fhir-ndjson"
    }

    /// A JSON array of records.
    public static func json(_ records: [ExchangeRecord], nextCursor: Int64? = nil) throws -> Data {
        struct Page: Encodable {
            var records: [ExchangeRecord]
            var nextCursor: String?
        }
        return try encoder.encode(Page(records: records, nextCursor: nextCursor.map(String.init)))
    }

    /// One record as JSON.
    public static func json(_ record: ExchangeRecord) throws -> Data { try encoder.encode(record) }

    static var encoder: JSONEncoder { SwitchboardJSON.encoder() }

    /// Reads back what the JSON exports write.
    public static var decoder: JSONDecoder { SwitchboardJSON.decoder() }

    /// The CSV columns, in order.
    public static let csvColumns = [
        "id", "node", "received_at", "completed_at", "duration_us", "upstream_us", "client_address", "certificate_subject", "trace_id",
        "correlation_id", "from_asid", "from_ods", "to_asid", "to_ods", "interaction", "method", "target_url", "status", "outcome",
        "refusal_phase", "refusal_rule", "refusal_token", "bytes_in", "bytes_out", "request_sha256", "response_sha256", "user_id",
        "user_role", "user_name", "org_ods", "org_name", "device", "reason", "scope", "resource_type", "resource_id",
        "response_location", "response_etag",
    ]

    /// RFC 4180 CSV with a header line.
    public static func csv(_ records: [ExchangeRecord], header: Bool = true) -> String {
        var lines = header ? [csvColumns.joined(separator: ",")] : []
        for r in records {
            let p = r.requestingParty
            let fields: [String?] = [
                r.id.uuidString.lowercased(), r.node, Timestamp.rfc3339(r.receivedAt), r.completedAt.map(Timestamp.rfc3339), r.durationMicroseconds.map(String.init),
                r.upstreamMicroseconds.map(String.init), r.clientAddress, r.certificateSubject, r.traceID, r.correlationID, r.fromASID?.rawValue, r.fromODS?.rawValue,
                r.toASID?.rawValue, r.toODS?.rawValue, r.interaction?.rawValue, r.method, r.targetURL, r.status.map(String.init), r.outcome.rawValue, r.refusalPhase,
                r.refusalRule, r.refusalToken, String(r.bytesIn), String(r.bytesOut), r.requestBodySHA256, r.responseBodySHA256, p.userID,
                p.userRoleProfileID, p.userName, p.organisationODS, p.organisationName, p.device, p.reasonForRequest, p.requestedScope,
                r.resourceType, r.resourceID, r.responseLocation, r.responseETag,
            ]
            lines.append(fields.map { quote($0 ?? "") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One CSV cell (RFC 4180). A cell a spreadsheet would read as a formula — one that begins
    /// with `=`, `+`, `-`, `@`, a tab or a carriage return, as a consumer's JWT organisation name
    /// `=HYPERLINK(…)` could — is written with a `'` in front and quoted, so it stays text
    /// (OWASP CSV injection, CWE-1236).
    static func quote(_ field: String) -> String {
        if let first = field.unicodeScalars.first, formulaStarts.contains(first) {
            return "\"'" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    private static let formulaStarts: Set<Unicode.Scalar> = ["=", "+", "-", "@", "\t", "\r"]

    /// A FHIR STU3 searchset Bundle of `AuditEvent` resources (``FHIRAuditEvent``).
    public static func fhirBundle(_ records: [ExchangeRecord]) throws -> Data {
        try encoder.encode(FHIRAuditBundle(total: records.count, entry: records.map(FHIRAuditBundle.Entry.init)))
    }
}
