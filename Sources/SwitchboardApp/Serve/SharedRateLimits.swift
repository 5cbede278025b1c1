import Foundation
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardProxy

/// Makes `proxy.throttle` hold for the whole service when several nodes share a PostgreSQL
/// database: every `shareIntervalMilliseconds` this node adds the requests it granted per ASID to
/// its running totals in the ledger, reads the other nodes' totals, and takes what they granted
/// since the last turn from its own buckets (``RateLimiter/charge(_:nowNanoseconds:)``).
///
/// The limit's long-run rate holds across the service. Within one interval each node may grant
/// from its own bucket what another node has already granted, so a burst can reach up to N times
/// the configured burst for N nodes in the worst case; the debt it leaves is then waited out. While
/// the database cannot be reached, each node enforces the limit alone (logged, and counted by
/// `switchboard_rate_limit_sharing_failures_total`); its counts are sent when it can be again.
final class SharedRateLimits: Service, Sendable {
    private struct State {
        /// Counts not yet in the ledger (a failed turn keeps them for the next).
        var pending: [ThrottledParty: [ASID: Int]] = [:]
        /// The totals read last, by node, party and ASID.
        var seen: [String: Int64] = [:]
        /// The first turn's totals are history, not new admissions.
        var started = false
        var failing = false
    }

    private let node: String
    private let ledger: any AdmissionLedger
    private let limiters: [ThrottledParty: RateLimiter]
    private let interval: Duration
    private let state = Mutex(State())
    private let charged: Counter
    private let failures: Counter
    private let logger: Logger

    init(node: String, ledger: any AdmissionLedger, consumers: RateLimiter, providers: RateLimiter, interval: Duration,
         registry: PrometheusCollectorRegistry, logger: Logger) {
        self.node = node
        self.ledger = ledger
        limiters = [.consumer: consumers, .provider: providers]
        self.interval = interval
        self.logger = logger
        charged = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "switchboard", metricName: "rate_limit_shared_admissions", unitName: "total",
            helpText: "Requests other nodes granted that this node took from its own rate-limit buckets."))
        failures = registry.makeCounter(descriptor: MetricNameDescriptor(
            namespace: "switchboard", metricName: "rate_limit_sharing_failures", unitName: "total",
            helpText: "Turns in which the shared rate-limit ledger could not be reached; each node then enforces its limits alone."))
        for limiter in limiters.values { limiter.shareAdmissions() }
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await synchronise()
            do { try await cancelWhenGracefulShutdown { try await Task.sleep(for: self.interval) } } catch { return }
        }
    }

    /// One turn: this node's counts in, the others' out and charged.
    func synchronise() async {
        let admitted = state.withLock { state in
            for (party, limiter) in limiters {
                state.pending[party, default: [:]].merge(limiter.takeAdmissions(), uniquingKeysWith: +)
            }
            return state.pending
        }
        let totals: [AdmissionTotal]
        do {
            totals = try await ledger.exchange(node: node, admitted: admitted, recentSeconds: 600)
        } catch {
            failures.increment()
            let first = state.withLock { state in
                defer { state.failing = true }
                return !state.failing
            }
            if first {
                logger.error("the shared rate-limit ledger cannot be reached; each node enforces proxy.throttle alone until it can",
                             metadata: [LogKey.error: "\(ErrorMessage.describe(error))"])
            }
            return
        }
        let (charges, recovered) = state.withLock { state in
            let recovered = state.failing
            state.failing = false
            state.pending = [:]
            var charges: [ThrottledParty: [ASID: Int]] = [:]
            for total in totals {
                let key = "\(total.node)\u{0}\(total.party.rawValue)\u{0}\(total.asid.rawValue)"
                let before = state.seen[key] ?? (state.started ? 0 : total.admitted)
                if total.admitted > before { charges[total.party, default: [:]][total.asid, default: 0] += Int(total.admitted - before) }
                state.seen[key] = total.admitted
            }
            state.started = true
            return (charges, recovered)
        }
        if recovered { logger.notice("the shared rate-limit ledger is reachable again") }
        let now = DispatchTime.now().uptimeNanoseconds
        for (party, byASID) in charges {
            limiters[party]?.charge(byASID, nowNanoseconds: now)
            charged.increment(by: Int64(byASID.values.reduce(0, +)))
        }
    }
}

/// ``AdmissionLedger`` over the PostgreSQL table every node shares.
struct DatabaseAdmissionLedger: AdmissionLedger {
    let table: PostgresAdmissionTable

    func exchange(node: String, admitted: [ThrottledParty: [ASID: Int]], recentSeconds: Int) async throws -> [AdmissionTotal] {
        let added = admitted.flatMap { party, byASID in
            byASID.filter { $0.value > 0 }.map { PostgresAdmissionTable.Total(node: node, party: party.rawValue, asid: $0.key.rawValue, admitted: Int64($0.value)) }
        }
        return try await table.exchange(node: node, added: added, recentSeconds: recentSeconds).compactMap { total in
            guard let party = ThrottledParty(rawValue: total.party), let asid = ASID(total.asid) else { return nil }
            return AdmissionTotal(node: total.node, party: party, asid: asid, admitted: total.admitted)
        }
    }
}
