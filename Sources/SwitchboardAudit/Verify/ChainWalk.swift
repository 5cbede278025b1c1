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
