public import SwitchboardAudit

/// The recorder when `audit.store` is `off` (benchmarks and development only): it keeps nothing.
/// Every exchange still has its access-log line, which the exchange handler writes; nothing is
/// durable or tamper-evident.
public struct UnauditedRecorder: ExchangeRecorder {
    public init() {}

    public func open(_ record: ExchangeRecord) async throws {}

    public func deferUntilRecovered(_ record: ExchangeRecord) {}

    public func complete(_ record: ExchangeRecord) async throws {}

    public func open(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        done(.success(()))
    }

    public func complete(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void) {
        done(.success(()))
    }
}
