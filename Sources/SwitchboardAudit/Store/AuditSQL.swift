import SwitchboardCore
/// The `WHERE` clause of an audit query over `audit_record r`, shared by the SQL stores; each
/// supplies how its placeholders are spelt (`?` or `$1`, `$2`, …).
public enum AuditSQL {
    public static func conditions(_ query: AuditQuery, placeholder: (Int) -> String) -> (String, [AuditRowCoding.Value]) {
        var conditions = ["NOT EXISTS (SELECT 1 FROM audit_record later WHERE later.exchange_id = r.exchange_id AND later.seq > r.seq)"]
        var arguments: [AuditRowCoding.Value] = []
        func add(_ condition: String, _ values: AuditRowCoding.Value...) {
            var text = condition
            for value in values {
                arguments.append(value)
                text = text.replacing("?", with: placeholder(arguments.count), maxReplacements: 1)
            }
            conditions.append(text)
        }
        if let since = query.since { add("r.received_us >= ?", .integer(since.unixMicroseconds)) }
        if let until = query.until { add("r.received_us < ?", .integer(until.unixMicroseconds)) }
        if let value = query.traceID { add("r.trace_id = ?", .text(value)) }
        if let value = query.correlationID { add("r.correlation_id = ?", .text(value)) }
        if let value = query.fromASID?.rawValue { add("r.from_asid = ?", .text(value)) }
        if let value = query.toASID?.rawValue { add("r.to_asid = ?", .text(value)) }
        if let value = query.asid?.rawValue { add("(r.from_asid = ? OR r.to_asid = ?)", .text(value), .text(value)) }
        if let value = query.ods?.rawValue { add("(r.from_ods = ? OR r.to_ods = ?)", .text(value), .text(value)) }
        if let value = query.interaction?.rawValue { add("r.interaction = ?", .text(value)) }
        if let value = query.status { add("r.status = ?", .integer(Int64(value))) }
        if let value = query.outcome { add("r.outcome = ?", .text(value.rawValue)) }
        if let value = query.userID { add("r.user_id = ?", .text(value)) }
        if let value = query.resourceType { add("r.resource_type = ?", .text(value)) }
        if let value = query.resourceID { add("r.resource_id = ?", .text(value)) }
        if let value = query.nhsNumberHMAC { add("r.nhs_number_hmac = ?", .text(value)) }
        if let value = query.node { add("r.node = ?", .text(value)) }
        if let value = query.cursor, query.sort == nil { add(query.order == .newestFirst ? "r.seq < ?" : "r.seq > ?", .integer(value)) }
        conditions.append(query.scope == .management ? "r.kind = 'management'" : "r.kind <> 'management'")
        // Filters read the partial indexes, which hold finished exchanges only.
        if query.hasFieldFilter { conditions.append("r.kind <> 'open'") }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// `ORDER BY` for the query's order.
    public static func ordering(_ query: AuditQuery) -> String {
        query.order == .newestFirst ? "ORDER BY r.seq DESC" : "ORDER BY r.seq"
    }

    /// `ORDER BY … LIMIT … OFFSET …` of one page of `limit` records (and one more, to tell
    /// whether another page follows): by the sort column over the whole result when the query
    /// has one, else in the query's order after its cursor.
    public static func page(_ query: AuditQuery, limit: Int) -> String {
        guard let sort = query.sort else { return "\(ordering(query)) LIMIT \(limit + 1)" }
        return "ORDER BY r.\(sort.column) \(query.order == .newestFirst ? "DESC" : "ASC"), r.seq DESC LIMIT \(limit + 1) OFFSET \(max(0, query.offset))"
    }

    /// The NHS number look-up's index (added with its column, after ``filterIndexes``).
    public static let nhsNumberIndex = ("audit_nhs_number", "nhs_number_hmac, received_us")

    /// `(index name, columns)` of every query filter's index; partial: rows of kind `open` are left out.
    public static let filterIndexes: [(String, String)] = [
        ("audit_trace", "trace_id"), ("audit_correlation", "correlation_id"), ("audit_from_asid", "from_asid, received_us"),
        ("audit_to_asid", "to_asid, received_us"), ("audit_from_ods", "from_ods, received_us"), ("audit_to_ods", "to_ods, received_us"),
        ("audit_interaction", "interaction, received_us"), ("audit_status", "status, received_us"), ("audit_outcome", "outcome, received_us"),
        ("audit_user", "user_id, received_us"), ("audit_resource", "resource_type, resource_id"),
    ]
}

extension AuditSQL {
    /// The columns of `audit_checkpoint`, in the order ``checkpointValues(_:)`` gives them.
    public static let checkpointColumns = ["node", "node_seq", "hash", "signed_at", "key", "signature", "next_key", "next_signature"]

    public static func checkpointValues(_ checkpoint: AuditCheckpoint) -> [AuditRowCoding.Value] {
        [.text(checkpoint.node), .integer(checkpoint.sequence), .text(checkpoint.chainHash), .text(Timestamp.rfc3339(checkpoint.signedAt)),
         .text(checkpoint.key), .text(checkpoint.signature), checkpoint.nextKey.map(AuditRowCoding.Value.text) ?? .null,
         checkpoint.nextSignature.map(AuditRowCoding.Value.text) ?? .null]
    }

    /// A checkpoint from a row of ``checkpointColumns``; `nil` when its time does not read.
    public static func checkpoint(text: (Int) -> String?, sequence: Int64) -> AuditCheckpoint? {
        guard let node = text(0), let hash = text(2), let signedAt = text(3).flatMap(AuditCheckpoint.signedAt), let key = text(4),
              let signature = text(5) else { return nil }
        return AuditCheckpoint(node: node, sequence: sequence, chainHash: hash, signedAt: signedAt, key: key, signature: signature,
                               nextKey: text(6), nextSignature: text(7))
    }
}
