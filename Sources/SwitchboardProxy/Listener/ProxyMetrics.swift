public import CoreMetrics
import Foundation
import Synchronization
import SwitchboardAudit
import SwitchboardCore

/// The proxy's metrics, made through one factory (Prometheus in production, a test factory in
/// tests): exchanges by interaction and status, refusals by rule, whole-exchange and upstream
/// durations.
public final class ProxyMetrics: Sendable {
    let factory: any MetricsFactory
    private let exchangeDuration: CoreMetrics.Timer
    private let upstreamDuration: CoreMetrics.Timer
    /// Counters already made, by their dimensions: making one per exchange cost a registry
    /// lookup under a lock each time.
    private let exchangeCounters = Mutex<[ExchangeKey: Counter]>([:])
    private let refusalCounters = Mutex<[String: Counter]>([:])

    private struct ExchangeKey: Hashable {
        var interaction: String
        var status: Int
        var outcome: ExchangeRecord.Outcome
    }

    public init(factory: any MetricsFactory) {
        self.factory = factory
        exchangeDuration = Timer(label: "switchboard_exchange_duration_seconds", factory: factory)
        upstreamDuration = Timer(label: "switchboard_upstream_duration_seconds", factory: factory)
    }

    /// Counts a finished exchange. The interaction is a label only when it is in the catalogue, so
    /// that consumers cannot grow the number of series by sending made-up interaction ids.
    func record(_ record: ExchangeRecord, catalogued: Bool) {
        let interaction = catalogued ? record.interaction?.rawValue ?? "none" : record.interaction == nil ? "none" : "unknown"
        let key = ExchangeKey(interaction: interaction, status: record.status ?? -1, outcome: record.outcome)
        let factory = self.factory
        exchangeCounters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "switchboard_exchanges_total",
                                  dimensions: [("interaction", key.interaction), ("status", record.status.map(String.init) ?? "none"),
                                               ("outcome", key.outcome.rawValue)], factory: factory)
            counters[key] = counter
            return counter
        }.increment()
        if let rule = record.refusalRule {
            refusalCounters.withLock { counters in
                if let counter = counters[rule] { return counter }
                let counter = Counter(label: "switchboard_refusals_total", dimensions: [("rule", rule)], factory: factory)
                counters[rule] = counter
                return counter
            }.increment()
        }
        if let duration = record.durationMicroseconds {
            exchangeDuration.recordMicroseconds(duration)
        }
        if let upstream = record.upstreamMicroseconds {
            upstreamDuration.recordMicroseconds(upstream)
        }
    }
}
