import SwitchboardCore
public import Foundation

/// Throttle: the consumer's and the provider's token buckets. Over the consumer's limit is a
/// `429` with `X-Rate-Limit-*`; over the provider's global limit a `503` with `Retry-After`.
public struct ThrottlePhase: Sendable {
    public let consumers: RateLimiter
    public let providers: RateLimiter
    public var nowNanoseconds: @Sendable () -> UInt64

    public init(consumers: RateLimiter, providers: RateLimiter,
                nowNanoseconds: @escaping @Sendable () -> UInt64 = { DispatchTime.now().uptimeNanoseconds }) {
        self.consumers = consumers
        self.providers = providers
        self.nowNanoseconds = nowNanoseconds
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let headers = context.headers, consumers.isEnabled || providers.isEnabled else { return }
        let now = nowNanoseconds()
        if case .refused(let retry)? = consumers.take(headers.from, nowNanoseconds: now) {
            let limit = consumers.limit(for: headers.from).map { Int($0.rate.rounded(.up)) } ?? 0
            throw .consumerRateLimited(headers.from, limit: limit, reset: retry)
        }
        if case .refused(let retry)? = providers.take(headers.to, nowNanoseconds: now) {
            throw .providerRateLimited(headers.to, retryAfter: retry)
        }
    }
}
