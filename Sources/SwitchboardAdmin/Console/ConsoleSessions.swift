import Synchronization

/// Signed-in console users: a random session id (the `sb_session` cookie) maps to who signed in,
/// their CSRF token and when the session ends. Kept in memory: a restart signs everyone out.
public final class ConsoleSessions: Sendable {
    public struct Session: Sendable, Hashable {
        public var principal: Principal
        /// Sent in every form and checked on every POST.
        public var csrf: String
        var expires: ContinuousClock.Instant
        var absoluteExpiry: ContinuousClock.Instant
    }

    /// A session ends after this long without a request…
    let idle: Duration
    /// …and after this long whatever happens.
    let lifetime: Duration
    private let sessions = Mutex<[String: Session]>([:])

    public init(idle: Duration = .seconds(30 * 60), lifetime: Duration = .seconds(8 * 3600)) {
        self.idle = idle
        self.lifetime = lifetime
    }

    /// Starts a session for `principal`; returns its id (for the cookie) and the session.
    public func start(_ principal: Principal) -> (id: String, session: Session) {
        let now = ContinuousClock.now
        let session = Session(principal: principal, csrf: Secrets.random(), expires: now + idle, absoluteExpiry: now + lifetime)
        let id = Secrets.random()
        sessions.withLock { sessions in
            if sessions.count > 10_000 { sessions = sessions.filter { $0.value.expires > now && $0.value.absoluteExpiry > now } }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The live session with `id`, its idle time renewed; `nil` when unknown or ended.
    public func session(_ id: String) -> Session? {
        let now = ContinuousClock.now
        return sessions.withLock { sessions in
            guard var session = sessions[id] else { return nil }
            guard session.expires > now, session.absoluteExpiry > now else {
                sessions[id] = nil
                return nil
            }
            session.expires = now + idle
            sessions[id] = session
            return session
        }
    }

    public func end(_ id: String) {
        _ = sessions.withLock { $0.removeValue(forKey: id) }
    }
}
