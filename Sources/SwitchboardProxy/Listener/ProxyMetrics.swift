public import CoreMetrics
import Foundation
import SwitchboardAudit

/// The proxy's metrics, made through one factory (Prometheus in production, a test factory in
/// tests): exchanges by interaction and status, refusals by rule, whole-exchange and upstream
/// durations.
public struct ProxyMetrics: Sendable {
    let factory: any MetricsFactory
    private let exchangeDuration: CoreMetrics.Timer
    private let upstreamDuration: CoreMetrics.Timer

    public init(factory: any MetricsFactory) {
        self.factory = factory
        exchangeDuration = Timer(label: "switchboard_exchange_duration_seconds", factory: factory)
        upstreamDuration = Timer(label: "switchboard_upstream_duration_seconds", factory: factory)
    }

    func record(_ record: ExchangeRecord) {
        let status = record.status.map(String.init) ?? "none"
        Counter(label: "switchboard_exchanges_total", dimensions: [("interaction", record.interaction ?? "none"), ("status", status),
                                                                  ("outcome", record.outcome.rawValue)], factory: factory).increment()
        if let rule = record.refusalRule {
            Counter(label: "switchboard_refusals_total", dimensions: [("rule", rule)], factory: factory).increment()
        }
        if let duration = record.durationMicroseconds {
            exchangeDuration.recordMicroseconds(duration)
        }
        if let upstream = record.upstreamMicroseconds {
            upstreamDuration.recordMicroseconds(upstream)
        }
    }
}
