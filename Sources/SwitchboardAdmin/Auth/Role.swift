/// What a management caller may do. Neither role can do the other's work.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable {
    /// Read and change the routing tables.
    case admin
    /// Read the audit log and reports.
    case auditor
}

/// An authenticated management caller.
public struct Principal: Sendable, Hashable {
    /// How history and logs name the caller: `token:<name>` or `cert:<fqdn>`.
    public var name: String
    public var role: Role

    public init(name: String, role: Role) {
        self.name = name
        self.role = role
    }
}
