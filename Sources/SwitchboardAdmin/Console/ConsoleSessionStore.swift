public import Foundation

/// Where console sessions are kept, so that a node's restart or another node behind the same
/// address keeps a user signed in: the node's SQLite database, or the PostgreSQL database the
/// nodes share. A session is found by the SHA-256 of its id; the id itself (the cookie) is
/// stored nowhere.
public protocol ConsoleSessionStore: Sendable {
    func insert(_ session: StoredConsoleSession) async throws
    /// The session with this id hash, whatever its age.
    func session(idHash: String) async throws -> StoredConsoleSession?
    /// Records a request of the session at `date` (its idle time starts again).
    func touch(idHash: String, at date: Date) async throws
    func delete(idHash: String) async throws
    /// Removes the sessions last seen before `idleBefore` or started before `startedBefore`.
    func deleteEnded(idleBefore: Date, startedBefore: Date) async throws
}

/// A console session as a store keeps it.
public struct StoredConsoleSession: Sendable, Hashable {
    public var idHash: String
    public var principalName: String
    public var role: String
    public var csrf: String
    public var startedAt: Date
    public var lastSeenAt: Date

    public init(idHash: String, principalName: String, role: String, csrf: String, startedAt: Date, lastSeenAt: Date) {
        self.idHash = idHash
        self.principalName = principalName
        self.role = role
        self.csrf = csrf
        self.startedAt = startedAt
        self.lastSeenAt = lastSeenAt
    }
}
