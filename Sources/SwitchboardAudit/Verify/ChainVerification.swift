/// The outcome of walking the hash chains.
public struct ChainVerification: Sendable, Hashable, Codable {
    /// One node's chain.
    public struct NodeChain: Sendable, Hashable, Codable {
        public var node: String
        public var records: Int
        public var firstSequence: Int64?
        public var lastSequence: Int64?
        /// Where the chain was pruned, if it was.
        public var anchoredAfter: Int64?
        /// The first row that does not fit, with why; `nil` when the chain is intact.
        public var firstBad: BadRecord?
    }

    /// A row that breaks the chain.
    public struct BadRecord: Sendable, Hashable, Codable {
        public enum Reason: String, Sendable, Hashable, Codable {
            /// The row's content does not hash to its stored hash (altered).
            case contentAltered = "content-altered"
            /// The row does not continue from the previous row's hash (reordered or swapped).
            case brokenLink = "broken-link"
            /// Sequence numbers skip (a row was removed).
            case missingRecords = "missing-records"
        }

        public var node: String
        public var sequence: Int64
        public var exchangeID: String
        public var reason: Reason
        public var detail: String
    }

    public var chains: [NodeChain]

    public init(chains: [NodeChain]) {
        self.chains = chains
    }

    public var isIntact: Bool { chains.allSatisfy { $0.firstBad == nil } }
    public var totalRecords: Int { chains.reduce(0) { $0 + $1.records } }
}
