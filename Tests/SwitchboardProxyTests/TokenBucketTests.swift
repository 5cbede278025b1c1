import SwitchboardCore
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

    @Test("new limits in force: what an ASID saved is kept up to the new burst; an ASID left unlimited loses its bucket")
    func limitsReplacedWhileInUse() throws {
        let asid = try #require(ASID("200000000359"))
        let other = try #require(ASID("200000000360"))
        let limiter = RateLimiter(defaultLimit: .init(rate: 1, burst: 10))
        for _ in 0..<4 { _ = limiter.take(asid, nowNanoseconds: 0) }
        #expect(limiter.take(asid, nowNanoseconds: 0) == .granted(remaining: 5))

        limiter.replaceLimits(.init(defaultLimit: .init(rate: 1, burst: 3), overrides: [other: .init(rate: 100, burst: 100)]))
        #expect(limiter.limit(for: asid) == .init(rate: 1, burst: 3))
        #expect(limiter.take(asid, nowNanoseconds: 0) == .granted(remaining: 2), "five saved, cut to the new burst of three, one taken")
        #expect(limiter.take(other, nowNanoseconds: 0) == .granted(remaining: 99))

        limiter.replaceLimits(.init(defaultLimit: nil))
        #expect(!limiter.isEnabled)
        #expect(limiter.take(asid, nowNanoseconds: 0) == nil)
        limiter.replaceLimits(.init(defaultLimit: .init(rate: 1, burst: 3)))
        #expect(limiter.take(asid, nowNanoseconds: 0) == .granted(remaining: 2), "a bucket dropped while unlimited starts whole")
    }

    @Test("grants elsewhere are charged to the bucket, into debt down to minus the burst, which later requests wait out")
    func chargedWithOtherNodesGrants() {
        var bucket = TokenBucket(rate: 1, burst: 3, nowNanoseconds: 0)
        bucket.charge(2, nowNanoseconds: 0)
        #expect(bucket.take(nowNanoseconds: 0) == .granted(remaining: 0))
        bucket.charge(10, nowNanoseconds: 0)
        #expect(bucket.take(nowNanoseconds: 0) == .refused(retryAfterSeconds: 4, fullAfterSeconds: 6), "three of debt: four seconds to the next token")
        #expect(bucket.take(nowNanoseconds: 4 * Self.second) == .granted(remaining: 0))
    }

    @Test("a limiter that shares counts what it grants per ASID, and takes other nodes' grants from its buckets")
    func sharedAdmissions() throws {
        let asid = try #require(ASID("200000000359"))
        let unlimited = try #require(ASID("200000000360"))
        let limiter = RateLimiter(limits: .init(defaultLimit: nil, overrides: [asid: .init(rate: 0.01, burst: 3)]))
        _ = limiter.take(asid, nowNanoseconds: 0)
        #expect(limiter.takeAdmissions().isEmpty, "not shared: nothing counted")
        limiter.shareAdmissions()
        _ = limiter.take(asid, nowNanoseconds: 0)
        _ = limiter.take(unlimited, nowNanoseconds: 0)
        #expect(limiter.takeAdmissions() == [asid: 1])
        #expect(limiter.takeAdmissions().isEmpty, "taken once")
        limiter.charge([asid: 1, unlimited: 5], nowNanoseconds: 0)
        #expect(limiter.take(asid, nowNanoseconds: 0) == .refused(retryAfterSeconds: 100, fullAfterSeconds: 300),
                "two granted here and one elsewhere spend the burst of three")
        #expect(limiter.takeAdmissions().isEmpty, "a refusal is not a grant")
    }
}
