/// Where the proxy records exchanges. Every exchange is opened before its request leaves for a
/// provider and completed with its outcome; `complete` returns only once the record is durable,
/// and the proxy holds back the end of the response until it has.
public protocol ExchangeRecorder: Sendable {
    /// Records that an exchange is about to be forwarded. Throws when the store cannot accept
    /// records; the proxy then answers `503` and forwards nothing.
    func open(_ record: ExchangeRecord) async throws

    /// Records the exchange's outcome (forwarded or refused, the only call for a refusal).
    func complete(_ record: ExchangeRecord) async throws

    /// `open` for callers on an event loop: `done` runs, on the recorder's thread, once the
    /// record is durable or has been refused.
    func open(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void)

    /// `complete` for callers on an event loop (see ``open(_:done:)``).
    func complete(_ record: ExchangeRecord, done: @escaping @Sendable (Result<Void, any Error>) -> Void)

    /// Keeps a record the store could not take (the proxy answered `503`, or cut a response
    /// short) to write once the store recovers.
    func deferUntilRecovered(_ record: ExchangeRecord)

    /// Writes `entries` on the calling thread, now, as one group: what an event loop does with
    /// the records of its tick. Opened records need nothing more; completed ones are durable
    /// after the next ``syncNow()``. `nil`, with nothing written, when this recorder cannot (its
    /// store is not this node's journal, or not yet): the caller then uses ``open(_:done:)`` and
    /// ``complete(_:done:)``.
    func writeNow(_ entries: [AuditEntry]) -> Result<Void, any Error>?

    /// Makes everything ``writeNow(_:)`` wrote durable, on the calling thread.
    func syncNow() -> Result<Void, any Error>
}

extension ExchangeRecorder {
    public func writeNow(_ entries: [AuditEntry]) -> Result<Void, any Error>? { nil }
    public func syncNow() -> Result<Void, any Error> { .success(()) }
}
