import SwitchboardProxy
import Testing

/// The token bucket alone, on a fixed clock.
@Suite struct TokenBucketTests {
    static let second: UInt64 = 1_000_000_000

    @Test func fiveAMinute() {
        var bucket = TokenBucket(rate: 5.0 / 60, burst: 5, nowNanoseconds: 0)
        #expect(bucket.capacity == 5)
        for expected in [4, 3, 2, 1, 0] { #expect(bucket.take(nowNanoseconds: 0) == .granted(remaining: expected)) }
        #expect(bucket.take(nowNanoseconds: 0) == .refused(retryAfterSeconds: 12, fullAfterSeconds: 60))
        #expect(bucket.take(nowNanoseconds: 6 * Self.second) == .refused(retryAfterSeconds: 6, fullAfterSeconds: 54))
        #expect(bucket.take(nowNanoseconds: 12 * Self.second) == .granted(remaining: 0), "one token back after twelve seconds")
        #expect(bucket.take(nowNanoseconds: 600 * Self.second) == .granted(remaining: 4), "never more than the burst")
    }

    @Test func aBurstBelowOneStillAllowsOne() {
        var bucket = TokenBucket(rate: 1, burst: 0, nowNanoseconds: 0)
        #expect(bucket.take(nowNanoseconds: 0) == .granted(remaining: 0))
        #expect(bucket.take(nowNanoseconds: 0) == .refused(retryAfterSeconds: 1, fullAfterSeconds: 1))
    }

    @Test func aClockThatGoesBackGrantsNothingExtra() {
        var bucket = TokenBucket(rate: 1, burst: 1, nowNanoseconds: 10 * Self.second)
        #expect(bucket.take(nowNanoseconds: 10 * Self.second) == .granted(remaining: 0))
        #expect(bucket.take(nowNanoseconds: 5 * Self.second) == .refused(retryAfterSeconds: 1, fullAfterSeconds: 1))
    }
}
