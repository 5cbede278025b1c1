public import Foundation
import SwitchboardCore

/// Writes exchange records as JSON, CSV or a FHIR STU3 `AuditEvent` Bundle. Every timestamp is
/// RFC 3339 in UTC with its `Z` (a FHIR `instant`); every exchange id is lower-case, as in
/// `X-Request-ID`.
public enum AuditExport {
    public enum Format: String, Sendable, CaseIterable {
        case json, csv, fhir
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

    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp.rfc3339(date))
        }
        return encoder
    }

    /// Reads back what the JSON exports write.
    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = Timestamp.parse(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time with its zone")
            }
            return date
        }
        return decoder
    }

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
                r.upstreamMicroseconds.map(String.init), r.clientAddress, r.certificateSubject, r.traceID, r.correlationID, r.fromASID, r.fromODS,
                r.toASID, r.toODS, r.interaction, r.method, r.targetURL, r.status.map(String.init), r.outcome.rawValue, r.refusalPhase,
                r.refusalRule, r.refusalToken, String(r.bytesIn), String(r.bytesOut), r.requestBodySHA256, r.responseBodySHA256, p.userID,
                p.userRoleProfileID, p.userName, p.organisationODS, p.organisationName, p.device, p.reasonForRequest, p.requestedScope,
                r.resourceType, r.resourceID, r.responseLocation, r.responseETag,
            ]
            lines.append(fields.map { quote($0 ?? "") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func quote(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// A FHIR STU3 searchset Bundle of `AuditEvent` resources (type `rest`, subtype the
    /// interaction; agents the requesting user and the consumer system; entity the trace id
    /// and the resource addressed).
    public static func fhirBundle(_ records: [ExchangeRecord]) throws -> Data {
        let bundle: [String: Any] = [
            "resourceType": "Bundle", "type": "searchset", "total": records.count,
            "entry": records.map(fhirEntry),
        ]
        return try JSONSerialization.data(withJSONObject: bundle, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    static func fhirEntry(_ record: ExchangeRecord) -> [String: Any] {
        ["fullUrl": "urn:uuid:\(record.id.uuidString.lowercased())", "resource": auditEvent(record)]
    }

    static func auditEvent(_ r: ExchangeRecord) -> [String: Any] {
        let action = switch r.method {
        case "GET": "R"
        case "POST": "C"
        case "PUT", "PATCH": "U"
        case "DELETE": "D"
        default: "E"
        }
        let outcome: String = switch (r.outcome, r.status ?? 0) {
        case (.interrupted, _), (.inProgress, _): "12"
        case (_, 500...): "8"
        case (_, 400...): "4"
        default: "0"
        }
        var agents: [[String: Any]] = []
        let party = r.requestingParty
        if let user = party.userID {
            var agent: [String: Any] = [
                "role": [["text": "requesting user"]], "requestor": true,
                "userId": ["system": "https://fhir.nhs.uk/Id/sds-user-id", "value": user],
            ]
            if let name = party.userName { agent["name"] = name }
            if let role = party.userRoleProfileID { agent["altId"] = role }
            if let ods = party.organisationODS {
                agent["reference"] = ["identifier": ["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": ods],
                                      "display": party.organisationName ?? ods]
            }
            if let reason = party.reasonForRequest { agent["purposeOfUse"] = [["coding": [["code": reason]]]] }
            agents.append(agent)
        }
        var system: [String: Any] = [
            "role": [["text": "consumer system"]], "requestor": party.userID == nil,
            "network": ["address": r.clientAddress, "type": "2"],
        ]
        if let asid = r.fromASID { system["userId"] = ["system": "https://fhir.nhs.uk/Id/nhsSpineASID", "value": asid] }
        if let fqdn = r.certificateFQDN { system["name"] = fqdn }
        agents.append(system)
        var entities: [[String: Any]] = []
        if let trace = r.traceID {
            entities.append(["identifier": ["system": "https://fhir.nhs.uk/Id/ssp-trace-id", "value": trace], "name": r.targetURL,
                             "description": "\(r.method) \(r.targetURL)"])
        }
        if let type = r.resourceType {
            entities.append(["reference": ["reference": r.resourceID.map { "\(type)/\($0)" } ?? type]])
        }
        if let location = r.responseLocation { entities.append(["reference": ["reference": location], "description": "created"]) }
        if let to = r.toASID { entities.append(["identifier": ["system": "https://fhir.nhs.uk/Id/nhsSpineASID", "value": to], "description": "provider system"]) }
        var event: [String: Any] = [
            "resourceType": "AuditEvent",
            "id": r.id.uuidString.lowercased(),
            "type": ["system": "http://hl7.org/fhir/audit-event-type", "code": "rest", "display": "RESTful Operation"],
            "action": action,
            "recorded": Timestamp.rfc3339(r.completedAt ?? r.receivedAt),
            "outcome": outcome,
            "outcomeDesc": "\(r.status.map(String.init) ?? "-") \(r.refusalToken ?? r.outcome.rawValue)",
            "agent": agents,
            "source": ["site": r.node, "identifier": ["system": "https://switchboard.nhs.uk/Id/node", "value": r.node],
                       "type": [["system": "http://hl7.org/fhir/security-source-type", "code": "4", "display": "Application Server"]]],
        ]
        if let interaction = r.interaction { event["subtype"] = [["system": "https://fhir.nhs.uk/Id/nhsServiceInteractionId", "code": interaction]] }
        if !entities.isEmpty { event["entity"] = entities }
        return event
    }
}
