/// A token bucket: `rate` tokens a second, up to `burst` saved. Pure state; the caller passes the
/// time, so tests need no clock.
public struct TokenBucket: Sendable, Hashable {
    public let rate: Double
    public let burst: Double
    private(set) var tokens: Double
    private(set) var updatedNanoseconds: UInt64

    public init(rate: Double, burst: Double, nowNanoseconds: UInt64) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = self.burst
        self.updatedNanoseconds = nowNanoseconds
    }

    /// The outcome of asking for one token.
    public enum Decision: Sendable, Hashable {
        /// Granted; `remaining` whole tokens are left.
        case granted(remaining: Int)
        /// Refused: the next token comes in `retryAfterSeconds`, and the bucket is whole again —
        /// all `burst` requests usable — in `fullAfterSeconds` (both rounded up, at least 1).
        case refused(retryAfterSeconds: Int, fullAfterSeconds: Int)
    }

    /// The same bucket under a new limit (a reload): what it has saved is kept, up to the new
    /// burst, so a changed limit neither refills nor empties it.
    public func resized(rate: Double, burst: Double) -> TokenBucket {
        var bucket = TokenBucket(rate: rate, burst: burst, nowNanoseconds: updatedNanoseconds)
        bucket.tokens = min(bucket.burst, tokens)
        return bucket
    }

    /// The most requests the consumer can make at once: what the bucket holds when whole.
    public var capacity: Int { Int(burst) }

    public mutating func take(nowNanoseconds: UInt64) -> Decision {
        refill(nowNanoseconds: nowNanoseconds)
        if tokens >= 1 {
            tokens -= 1
            return .granted(remaining: Int(tokens))
        }
        let next = (1 - tokens) / rate
        let full = (burst - tokens) / rate
        return .refused(retryAfterSeconds: max(1, Int(next.rounded(.up))), fullAfterSeconds: max(1, Int(full.rounded(.up))))
    }

    /// Removes `count` tokens that were spent elsewhere (another node), leaving at most `burst`
    /// tokens of debt.
    public mutating func charge(_ count: Int, nowNanoseconds: UInt64) {
        refill(nowNanoseconds: nowNanoseconds)
        tokens = max(-burst, tokens - Double(count))
    }

    private mutating func refill(nowNanoseconds: UInt64) {
        if nowNanoseconds > updatedNanoseconds {
            tokens = min(burst, tokens + Double(nowNanoseconds - updatedNanoseconds) / 1e9 * rate)
            updatedNanoseconds = nowNanoseconds
        }
    }
}
