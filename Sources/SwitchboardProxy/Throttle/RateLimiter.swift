public import SwitchboardCore
import Synchronization

/// Token buckets keyed by ASID, created on first use. One short lock per request; buckets idle
/// for a minute are dropped so the table does not grow without bound.
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

    private struct State {
        var buckets: [ASID: TokenBucket] = [:]
        var lastSweepNanoseconds: UInt64 = 0
    }

    public let defaultLimit: Limit?
    public let overrides: [ASID: Limit]
    private let state = Mutex(State())

    /// - Parameters:
    ///   - defaultLimit: the limit for every ASID not overridden; `nil` for none.
    ///   - overrides: per-ASID limits.
    public init(defaultLimit: Limit?, overrides: [ASID: Limit] = [:]) {
        self.defaultLimit = defaultLimit
        self.overrides = overrides
    }

    public var isEnabled: Bool { defaultLimit != nil || !overrides.isEmpty }

    /// The limit that applies to `asid`, if any.
    public func limit(for asid: ASID) -> Limit? { overrides[asid] ?? defaultLimit }

    /// Takes one token for `asid`; `nil` when no limit applies.
    public func take(_ asid: ASID, nowNanoseconds: UInt64) -> TokenBucket.Decision? {
        guard let limit = limit(for: asid) else { return nil }
        return state.withLock { state in
            if nowNanoseconds &- state.lastSweepNanoseconds > 60_000_000_000 {
                state.buckets = state.buckets.filter { nowNanoseconds &- $0.value.updatedNanoseconds < 60_000_000_000 }
                state.lastSweepNanoseconds = nowNanoseconds
            }
            var bucket = state.buckets[asid] ?? TokenBucket(rate: limit.rate, burst: limit.burst, nowNanoseconds: nowNanoseconds)
            let decision = bucket.take(nowNanoseconds: nowNanoseconds)
            state.buckets[asid] = bucket
            return decision
        }
    }
}
