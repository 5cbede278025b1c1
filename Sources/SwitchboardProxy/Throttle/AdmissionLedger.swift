public import SwitchboardCore

/// Which limiter an admission count belongs to: the consumers' (`Ssp-From`) or the providers'
/// (`Ssp-To`).
public enum ThrottledParty: String, Sendable, Hashable, CaseIterable {
    case consumer, provider
}

/// One ASID's running total of requests a node has granted it.
public struct AdmissionTotal: Sendable, Hashable {
    public var node: String
    public var party: ThrottledParty
    public var asid: ASID
    public var admitted: Int64

    public init(node: String, party: ThrottledParty, asid: ASID, admitted: Int64) {
        self.node = node
        self.party = party
        self.asid = asid
        self.admitted = admitted
    }
}

/// Where the nodes of one service keep running totals of the requests each has granted per ASID,
/// so that each node can take from its own buckets what the others granted and a rate limit holds
/// for the whole service. Stores sit behind it (PostgreSQL for several nodes).
public protocol AdmissionLedger: Sendable {
    /// Adds `admitted` to `node`'s running totals, and returns the running totals of every other
    /// node updated within `recentSeconds`.
    func exchange(node: String, admitted: [ThrottledParty: [ASID: Int]], recentSeconds: Int) async throws -> [AdmissionTotal]
}
