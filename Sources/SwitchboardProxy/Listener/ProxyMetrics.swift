public import CoreMetrics
import Foundation
import Synchronization
import SwitchboardAudit
import SwitchboardCore

/// The proxy's metrics, made through one factory (Prometheus in production, a test factory in
/// tests): exchanges by provider, interaction and status, refusals by rule, whole-exchange and
/// upstream durations by provider and interaction.
///
/// Every label is bounded by the directory: the provider is the ODS code the directory gives
/// `Ssp-To`'s ASID (`none` when it names no registered system), and the interaction is one of the
/// catalogue's (`unknown` otherwise), so consumers cannot grow the number of series by sending
/// made-up values.
public final class ProxyMetrics: Sendable {
    let factory: any MetricsFactory
    /// Metrics already made, by their dimensions: making one per exchange cost a registry lookup
    /// under a lock each time. One lock finds an exchange's counter and timers together.
    private let series = Mutex(Series())
    private let refusalCounters = Mutex<[String: Counter]>([:])

    private struct Series {
        var exchanges: [ExchangeKey: Counter] = [:]
        var durations: [ProviderKey: (exchange: CoreMetrics.Timer, upstream: CoreMetrics.Timer)] = [:]
    }

    private struct ExchangeKey: Hashable {
        var provider: ProviderKey
        var status: Int
        var outcome: ExchangeRecord.Outcome
    }

    private struct ProviderKey: Hashable {
        var provider: String
        var interaction: String
    }

    private let proxyProtocolRefusals: [ProxyProtocolReader.Refusal: Counter]

    public init(factory: any MetricsFactory) {
        self.factory = factory
        proxyProtocolRefusals = Dictionary(uniqueKeysWithValues: ProxyProtocolReader.Refusal.allCases.map {
            ($0, Counter(label: "switchboard_proxy_protocol_refusals_total", dimensions: [("reason", $0.rawValue)], factory: factory))
        })
    }

    /// Counts a connection closed for its PROXY header: from an address not allowed, or malformed.
    func proxyProtocolRefused(_ refusal: ProxyProtocolReader.Refusal) {
        proxyProtocolRefusals[refusal]?.increment()
    }

    /// Counts a finished exchange and records its durations.
    func record(_ record: ExchangeRecord, catalogued: Bool) {
        let interaction = catalogued ? record.interaction?.rawValue ?? "none" : record.interaction == nil ? "none" : "unknown"
        let provider = ProviderKey(provider: record.toODS?.rawValue ?? "none", interaction: interaction)
        let key = ExchangeKey(provider: provider, status: record.status ?? -1, outcome: record.outcome)
        let factory = self.factory
        let (counter, timers) = series.withLock { series in
            let counter = series.exchanges[key] ?? {
                let made = Counter(label: "switchboard_exchanges_total",
                                   dimensions: [("provider", provider.provider), ("interaction", provider.interaction),
                                                ("status", record.status.map(String.init) ?? "none"), ("outcome", key.outcome.rawValue)],
                                   factory: factory)
                series.exchanges[key] = made
                return made
            }()
            let timers = series.durations[provider] ?? {
                let dimensions = [("provider", provider.provider), ("interaction", provider.interaction)]
                let made = (exchange: Timer(label: "switchboard_exchange_duration_seconds", dimensions: dimensions, factory: factory),
                            upstream: Timer(label: "switchboard_upstream_duration_seconds", dimensions: dimensions, factory: factory))
                series.durations[provider] = made
                return made
            }()
            return (counter, timers)
        }
        counter.increment()
        if let rule = record.refusalRule {
            refusalCounters.withLock { counters in
                if let counter = counters[rule] { return counter }
                let counter = Counter(label: "switchboard_refusals_total", dimensions: [("rule", rule)], factory: factory)
                counters[rule] = counter
                return counter
            }.increment()
        }
        if let duration = record.durationMicroseconds {
            timers.exchange.recordMicroseconds(duration)
        }
        if let upstream = record.upstreamMicroseconds {
            timers.upstream.recordMicroseconds(upstream)
        }
    }
}
