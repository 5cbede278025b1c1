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
        if case .refused(let retry, let full)? = consumers.take(headers.from, nowNanoseconds: now) {
            // The limit a consumer can use in one go is the bucket's capacity (its burst), whole
            // again after `full` seconds; its next single request may go after `retry`.
            let limit = consumers.limit(for: headers.from).map { Int(max(1, $0.burst)) } ?? 0
            throw .consumerRateLimited(headers.from, limit: limit, reset: full, retryAfter: retry)
        }
        if case .refused(let retry, _)? = providers.take(headers.to, nowNanoseconds: now) {
            throw .providerRateLimited(headers.to, retryAfter: retry)
        }
    }
}
