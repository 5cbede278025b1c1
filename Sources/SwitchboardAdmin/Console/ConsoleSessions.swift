import Crypto
import Foundation
import SwitchboardCore

/// Signed-in console users: a random session id (the `sb_session` cookie) maps to who signed in,
/// their CSRF token and when the session ends, kept in a ``ConsoleSessionStore`` so that a
/// restart or another node keeps them signed in.
public final class ConsoleSessions: Sendable {
    public struct Session: Sendable, Hashable {
        public var principal: Principal
        /// Sent in every form and checked on every POST.
        public var csrf: String
    }

    /// A session ends after this many seconds without a request…
    let idle: TimeInterval
    /// …and after this many whatever happens.
    let lifetime: TimeInterval
    let store: any ConsoleSessionStore

    public init(store: any ConsoleSessionStore, idle: Duration = .seconds(30 * 60), lifetime: Duration = .seconds(8 * 3600)) {
        self.store = store
        self.idle = TimeInterval(idle.microseconds) / 1_000_000
        self.lifetime = TimeInterval(lifetime.microseconds) / 1_000_000
    }

    /// Starts a session for `principal`; returns its id (for the cookie) and the session. Ended
    /// sessions are cleared out on the way.
    public func start(_ principal: Principal) async throws -> (id: String, session: Session) {
        let now = Date()
        try await store.deleteEnded(idleBefore: now - idle, startedBefore: now - lifetime)
        let session = Session(principal: principal, csrf: Secrets.random())
        let id = Secrets.random()
        try await store.insert(StoredConsoleSession(idHash: Self.hash(id), principalName: principal.name, role: principal.role.rawValue, csrf: session.csrf,
                                                    startedAt: now, lastSeenAt: now))
        return (id, session)
    }

    /// The live session with `id`, its idle time renewed; `nil` when unknown or ended.
    public func session(_ id: String) async throws -> Session? {
        let now = Date()
        let hash = Self.hash(id)
        guard let stored = try await store.session(idHash: hash), let role = Role(rawValue: stored.role) else { return nil }
        guard now.timeIntervalSince(stored.lastSeenAt) < idle, now.timeIntervalSince(stored.startedAt) < lifetime else {
            try await store.delete(idHash: hash)
            return nil
        }
        try await store.touch(idHash: hash, at: now)
        return Session(principal: Principal(name: stored.principalName, role: role), csrf: stored.csrf)
    }

    public func end(_ id: String) async throws {
        try await store.delete(idHash: Self.hash(id))
    }

    static func hash(_ id: String) -> String { Hex.encode(SHA256.hash(data: Array(id.utf8))) }
}
