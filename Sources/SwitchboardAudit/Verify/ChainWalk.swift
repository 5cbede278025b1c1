/// Walks one node's chain row by row, in sequence order, and says where it first breaks; every
/// store reads its rows its own way and hands them here.
public struct ChainWalk: Sendable {
    public private(set) var chain: ChainVerification.NodeChain
    private var expectedSequence: Int64
    private var previous: String

    /// Starts at the chain's anchor (after a prune) or at genesis.
    public init(node: String, anchor: ChainAnchor?) {
        chain = ChainVerification.NodeChain(node: node, records: 0, anchoredAfter: anchor?.afterSequence)
        expectedSequence = anchor?.afterSequence ?? 0
        previous = anchor?.hash ?? AuditRowCoding.genesis
    }

    /// One row: its sequence, the previous hash and hash it stores, and its content columns.
    public mutating func visit(sequence: Int64, storedPrevious: String, storedHash: String, content: [AuditRowCoding.Value]) {
        let node = chain.node
        let exchangeID = if case .text(let id) = content[1] { id } else { "" }
        chain.records += 1
        if chain.firstSequence == nil { chain.firstSequence = sequence }
        chain.lastSequence = sequence
        guard chain.firstBad == nil else { return }
        if sequence != expectedSequence + 1 {
            chain.firstBad = .init(node: node, sequence: sequence, exchangeID: exchangeID, reason: .missingRecords,
                                   detail: "expected sequence \(expectedSequence + 1), found \(sequence): \(sequence - expectedSequence - 1) record(s) removed")
            return
        }
        let computed = AuditRowCoding.hash(node: node, nodeSequence: sequence, previous: storedPrevious, content: content)
        if computed != storedHash {
            chain.firstBad = .init(node: node, sequence: sequence, exchangeID: exchangeID, reason: .contentAltered,
                                   detail: "the record's content does not match its hash")
        } else if storedPrevious != previous {
            chain.firstBad = .init(node: node, sequence: sequence, exchangeID: exchangeID, reason: .brokenLink,
                                   detail: "the record does not continue from the previous record's hash")
        }
        previous = storedHash
        expectedSequence = sequence
    }
}

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
        if let since = query.since { add("r.received_us >= ?", .integer(AuditRowCoding.microseconds(since))) }
        if let until = query.until { add("r.received_us < ?", .integer(AuditRowCoding.microseconds(until))) }
        if let value = query.traceID { add("r.trace_id = ?", .text(value)) }
        if let value = query.correlationID { add("r.correlation_id = ?", .text(value)) }
        if let value = query.fromASID { add("r.from_asid = ?", .text(value)) }
        if let value = query.toASID { add("r.to_asid = ?", .text(value)) }
        if let value = query.asid { add("(r.from_asid = ? OR r.to_asid = ?)", .text(value), .text(value)) }
        if let value = query.ods { add("(r.from_ods = ? OR r.to_ods = ?)", .text(value), .text(value)) }
        if let value = query.interaction { add("r.interaction = ?", .text(value)) }
        if let value = query.status { add("r.status = ?", .integer(Int64(value))) }
        if let value = query.outcome { add("r.outcome = ?", .text(value.rawValue)) }
        if let value = query.userID { add("r.user_id = ?", .text(value)) }
        if let value = query.resourceType { add("r.resource_type = ?", .text(value)) }
        if let value = query.resourceID { add("r.resource_id = ?", .text(value)) }
        if let value = query.node { add("r.node = ?", .text(value)) }
        if let value = query.cursor { add(query.order == .newestFirst ? "r.seq < ?" : "r.seq > ?", .integer(value)) }
        conditions.append(query.scope == .management ? "r.kind = 'management'" : "r.kind <> 'management'")
        // Filters read the partial indexes, which hold finished exchanges only.
        if query.hasFieldFilter { conditions.append("r.kind <> 'open'") }
        return (conditions.joined(separator: " AND "), arguments)
    }

    /// `ORDER BY` for the query's order.
    public static func ordering(_ query: AuditQuery) -> String {
        query.order == .newestFirst ? "ORDER BY r.seq DESC" : "ORDER BY r.seq"
    }

    /// `(index name, columns)` of every query filter's index; partial: rows of kind `open` are left out.
    public static let filterIndexes: [(String, String)] = [
        ("audit_trace", "trace_id"), ("audit_correlation", "correlation_id"), ("audit_from_asid", "from_asid, received_us"),
        ("audit_to_asid", "to_asid, received_us"), ("audit_from_ods", "from_ods, received_us"), ("audit_to_ods", "to_ods, received_us"),
        ("audit_interaction", "interaction, received_us"), ("audit_status", "status, received_us"), ("audit_outcome", "outcome, received_us"),
        ("audit_user", "user_id, received_us"), ("audit_resource", "resource_type, resource_id"),
    ]
}
