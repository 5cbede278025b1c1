public import SwitchboardCore
import Synchronization

/// Token buckets keyed by ASID, created on first use. One short lock per request; buckets idle
/// for a minute are dropped so the table does not grow without bound. The limits can be replaced
/// while traffic flows (a reload); each bucket takes its new limit at its next request.
public final class RateLimiter: Sendable {
    /// A limit: `rate` requests a second with bursts of up to `burst`.
    public struct Limit: Sendable, Hashable {
        public var rate: Double
        public var burst: Double

        public init(rate: Double, burst: Double) {
            self.rate = rate
            self.burst = burst
        }
    }

    /// The limits in force: one for every ASID not overridden (`nil` for none), and per-ASID ones.
    public struct Limits: Sendable, Hashable {
        public var defaultLimit: Limit?
        public var overrides: [ASID: Limit]

        public init(defaultLimit: Limit?, overrides: [ASID: Limit] = [:]) {
            self.defaultLimit = defaultLimit
            self.overrides = overrides
        }

        public var isEnabled: Bool { defaultLimit != nil || !overrides.isEmpty }

        public func limit(for asid: ASID) -> Limit? { overrides[asid] ?? defaultLimit }
    }

    private struct State {
        var limits: Limits
        var buckets: [ASID: TokenBucket] = [:]
        var lastSweepNanoseconds: UInt64 = 0
        /// Requests granted since ``takeAdmissions()`` last ran, when shared with other nodes.
        var admitted: [ASID: Int] = [:]

        /// `asid`'s bucket under `limit`: whole when new, resized when the limit has changed.
        func bucket(_ asid: ASID, under limit: Limit, nowNanoseconds: UInt64) -> TokenBucket {
            let bucket = buckets[asid] ?? TokenBucket(rate: limit.rate, burst: limit.burst, nowNanoseconds: nowNanoseconds)
            guard bucket.rate != limit.rate || bucket.burst != max(1, limit.burst) else { return bucket }
            return bucket.resized(rate: limit.rate, burst: limit.burst)
        }
    }

    private let state: Mutex<State>
    /// Whether any limit is in force, read without the lock: with throttling off (the default)
    /// an exchange takes no lock here.
    private let enabled: Atomic<Bool>
    /// Whether admissions are counted for other nodes (``takeAdmissions()``).
    private let sharing = Atomic<Bool>(false)

    /// - Parameters:
    ///   - defaultLimit: the limit for every ASID not overridden; `nil` for none.
    ///   - overrides: per-ASID limits.
    public convenience init(defaultLimit: Limit?, overrides: [ASID: Limit] = [:]) {
        self.init(limits: Limits(defaultLimit: defaultLimit, overrides: overrides))
    }

    public init(limits: Limits) {
        state = Mutex(State(limits: limits))
        enabled = Atomic(limits.isEnabled)
    }

    public var isEnabled: Bool { enabled.load(ordering: .relaxed) }

    /// The limit that applies to `asid`, if any.
    public func limit(for asid: ASID) -> Limit? { state.withLock { $0.limits.limit(for: asid) } }

    /// Puts new limits in force. What each ASID has saved is kept, up to its new burst; an ASID
    /// left with no limit loses its bucket.
    public func replaceLimits(_ limits: Limits) {
        state.withLock { state in
            state.limits = limits
            if !limits.isEnabled { state.buckets = [:] }
        }
        enabled.store(limits.isEnabled, ordering: .relaxed)
    }

    /// Takes one token for `asid`; `nil` when no limit applies.
    public func take(_ asid: ASID, nowNanoseconds: UInt64) -> TokenBucket.Decision? {
        guard isEnabled else { return nil }
        return state.withLock { state in
            guard let limit = state.limits.limit(for: asid) else {
                state.buckets.removeValue(forKey: asid)
                return nil
            }
            if nowNanoseconds &- state.lastSweepNanoseconds > 60_000_000_000 {
                state.buckets = state.buckets.filter { nowNanoseconds &- $0.value.updatedNanoseconds < 60_000_000_000 }
                state.lastSweepNanoseconds = nowNanoseconds
            }
            var bucket = state.bucket(asid, under: limit, nowNanoseconds: nowNanoseconds)
            let decision = bucket.take(nowNanoseconds: nowNanoseconds)
            state.buckets[asid] = bucket
            if case .granted = decision, sharing.load(ordering: .relaxed) { state.admitted[asid, default: 0] += 1 }
            return decision
        }
    }

    // MARK: Shared with other nodes

    /// Starts counting the requests this node grants, for ``takeAdmissions()``.
    public func shareAdmissions() {
        sharing.store(true, ordering: .relaxed)
    }

    /// The requests granted per ASID since the last call.
    public func takeAdmissions() -> [ASID: Int] {
        state.withLock { state in
            defer { state.admitted = [:] }
            return state.admitted
        }
    }

    /// Takes from each ASID's bucket what other nodes granted it, so that its limit holds for the
    /// whole service. A bucket may go into debt (down to minus its burst), which later requests
    /// wait out.
    public func charge(_ admissions: [ASID: Int], nowNanoseconds: UInt64) {
        guard isEnabled, !admissions.isEmpty else { return }
        state.withLock { state in
            for (asid, count) in admissions where count > 0 {
                guard let limit = state.limits.limit(for: asid) else { continue }
                var bucket = state.bucket(asid, under: limit, nowNanoseconds: nowNanoseconds)
                bucket.charge(count, nowNanoseconds: nowNanoseconds)
                state.buckets[asid] = bucket
            }
        }
    }
}
