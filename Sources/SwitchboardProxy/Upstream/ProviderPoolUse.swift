import Synchronization

/// How the provider connections of every event loop's pool are used, for `/metrics`: counted as
/// the pools change, so reading them takes no hop to the event loops.
public final class ProviderPoolUse: Sendable {
    private let open = Atomic<Int>(0)
    private let busy = Atomic<Int>(0)
    private let waiting = Atomic<Int>(0)

    public init() {}

    /// Provider connections open or being opened.
    public var openConnections: Int { open.load(ordering: .relaxed) }
    /// Connections carrying an exchange now.
    public var busyConnections: Int { busy.load(ordering: .relaxed) }
    /// Exchanges waiting for a connection (every connection to their provider busy, at the limit).
    public var waitingExchanges: Int { waiting.load(ordering: .relaxed) }

    func opened(_ count: Int = 1) { open.add(count, ordering: .relaxed) }
    func closed(_ count: Int = 1) { open.subtract(count, ordering: .relaxed) }
    func carrying(_ isBusy: Bool) { if isBusy { busy.add(1, ordering: .relaxed) } else { busy.subtract(1, ordering: .relaxed) } }
    func queued() { waiting.add(1, ordering: .relaxed) }
    func dequeued() { waiting.subtract(1, ordering: .relaxed) }
}
