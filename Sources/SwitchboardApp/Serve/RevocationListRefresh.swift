import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOFoundationCompat
import Prometheus
public import ServiceLifecycle
import SwiftASN1
import Synchronization
import SwitchboardCore
import SwitchboardPKI
public import SwitchboardProxy
import X509

/// Keeps the revocation lists of `proxy.revocation.crls` in force: reads each (a file, or a URL
/// fetched with AsyncHTTPClient), checks its signature against the CA that issued it (one of
/// `proxy.tls.clientCA` or `proxy.upstream.caBundle`), and reads it again at its `nextUpdate` or
/// after `refreshIntervalMilliseconds`, whichever comes first. A failed read is tried again every
/// 30 seconds (sooner when the interval is shorter). A list past its `nextUpdate` is stale: it
/// is logged once, and `switchboard_crl_stale{crl}` shows 1 until a current list is read.
public final class RevocationListRefresh: Service, Sendable {
    private struct Settings {
        var sources: [String]
        var interval: TimeInterval
        var anchors: [Certificate]
        var policy: CertificateRevocation.WhenStale
    }

    private struct SourceState {
        var lastAttempt: Date?
        /// When its list in force was read; nil while it has none.
        var lastRead: Date?
        /// That list's `nextUpdate`.
        var nextUpdate: Date?
        var failure: String?
        var stale = false

        /// When it should be read next.
        func due(every interval: TimeInterval) -> Date {
            guard let lastAttempt else { return .distantPast }
            if failure != nil { return lastAttempt.addingTimeInterval(min(RevocationListRefresh.retryInterval, interval)) }
            let byInterval = (lastRead ?? lastAttempt).addingTimeInterval(interval)
            return nextUpdate.map { min(byInterval, $0) } ?? byInterval
        }

        /// Past its `nextUpdate`, or never read.
        func isStale(at now: Date) -> Bool {
            lastRead == nil || nextUpdate.map { $0 < now } == true
        }
    }

    public let revocation: CertificateRevocation
    private let settings: Mutex<Settings>
    private let sources = Mutex<[String: SourceState]>([:])
    private let registry: PrometheusCollectorRegistry
    private let logger: Logger
    private static let retryInterval: TimeInterval = 30
    private static let maximumListBytes = 32 << 20

    init(revocation: CertificateRevocation, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.revocation = revocation
        self.registry = registry
        self.logger = logger
        settings = Mutex(Settings(sources: [], interval: 900, anchors: [], policy: .failClosed))
    }

    /// Puts `configuration`'s sources, policy and trust anchors in force (at start and on each
    /// applied reload); every source is read again at the next turn.
    func configure(_ configuration: SwitchboardConfiguration) throws(ConfigurationError) {
        let proxy = configuration.proxy
        var anchors: [Certificate] = []
        for (setting, path) in [("proxy.tls.clientCA", proxy.tls.clientCA), ("proxy.upstream.caBundle", proxy.upstream.caBundle)] where !path.isEmpty {
            do {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                anchors += try PEMDocument.parseMultiple(pemString: text).map { try Certificate(pemDocument: $0) }
            } catch {
                throw ConfigurationError(setting: setting, message: "cannot read the CA certificates in \(path) to check revocation lists with: \(error)")
            }
        }
        let policy = CertificateRevocation.WhenStale(rawValue: proxy.revocation.whenStale) ?? .failClosed
        settings.withLock {
            $0 = Settings(sources: proxy.revocation.crls, interval: TimeInterval(proxy.revocation.refreshIntervalMilliseconds) / 1000,
                          anchors: anchors, policy: policy)
        }
        // A source still named keeps what is known of its list in force (which stays in force),
        // and is read again at the next turn.
        sources.withLock { states in
            states = Dictionary(uniqueKeysWithValues: proxy.revocation.crls.map { source in
                var state = states[source] ?? SourceState()
                state.lastAttempt = nil
                return (source, state)
            })
        }
        revocation.configure(sources: proxy.revocation.crls, whenStale: policy)
    }

    /// Reads every source once before the proxy starts. A file that cannot be read or checked
    /// stops the start (it is the operator's to fix); a URL that cannot be fetched is logged and
    /// tried again while the proxy runs.
    func readAll() async throws(ConfigurationError) {
        for source in settings.withLock({ $0.sources }) {
            if let problem = await refresh(source), !Self.isURL(source) {
                throw ConfigurationError(setting: "proxy.revocation.crls", message: "cannot use the revocation list \(source): \(problem)")
            }
        }
        publish()
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for source in schedule(at: Date()).due {
                await refresh(source)
            }
            publish()
            let wait = schedule(at: Date()).wait
            do { try await Task.sleep(for: .seconds(min(1, max(0.05, wait)))) } catch { return }
        }
    }

    // MARK: Reading one source

    /// Reads `source` and puts its list in force; returns the problem when that failed.
    @discardableResult
    private func refresh(_ source: String) async -> String? {
        let attempt = Date()
        let problem: String?
        var nextUpdate: Date?
        do {
            let bytes = try await Self.isURL(source) ? fetch(source) : Array(try Data(contentsOf: URL(fileURLWithPath: source)))
            let list = try CertificateRevocationList(bytes: bytes)
            let anchors = settings.withLock { $0.anchors }
            guard anchors.contains(where: list.isSigned(by:)) else {
                throw CertificateRevocationListError(reason: "no CA in proxy.tls.clientCA or proxy.upstream.caBundle named \(list.issuer) signed it")
            }
            guard list.thisUpdate <= attempt.addingTimeInterval(300) else {
                throw CertificateRevocationListError(reason: "it was made in the future (\(Timestamp.rfc3339(list.thisUpdate)))")
            }
            try revocation.install(list, from: source)
            nextUpdate = list.nextUpdate
            problem = nil
        } catch {
            problem = ErrorMessage.describe(error)
        }
        sources.withLock { states in
            states[source]?.lastAttempt = attempt
            states[source]?.failure = problem
            if problem == nil {
                states[source]?.lastRead = attempt
                states[source]?.nextUpdate = nextUpdate
            }
        }
        registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "crl_reads", unitName: "total",
                                                              helpText: "Revocation list reads, by list and result (read or failed)."),
                             labels: [("crl", source), ("result", problem == nil ? "read" : "failed")]).increment()
        if let problem {
            logger.warning("revocation list not read; the list in force (if any) stays", metadata: [LogKey.crl: "\(source)", LogKey.error: "\(problem)"])
        }
        return problem
    }

    private func fetch(_ url: String) async throws -> [UInt8] {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10))
        guard response.status == .ok else { throw CertificateRevocationListError(reason: "\(url) answered \(response.status.code)") }
        return Array(buffer: try await response.body.collect(upTo: Self.maximumListBytes))
    }

    private static func isURL(_ source: String) -> Bool {
        source.hasPrefix("http://") || source.hasPrefix("https://")
    }

    // MARK: Schedule

    /// The sources due to be read at `now`, and the seconds until the next one is.
    private func schedule(at now: Date) -> (due: [String], wait: TimeInterval) {
        let interval = settings.withLock { $0.interval }
        let dates = sources.withLock { states in states.mapValues { $0.due(every: interval) } }
        let due = dates.filter { $0.value <= now }.map(\.key).sorted()
        return (due, (dates.values.min() ?? now.addingTimeInterval(1)).timeIntervalSince(now))
    }

    // MARK: Staleness and metrics

    /// Sets each source's gauges, and logs a list that has just gone stale or come back.
    private func publish() {
        let now = Date()
        let policy = settings.withLock { $0.policy }
        let (states, changed) = sources.withLock { states in
            var changed: [String] = []
            for (source, state) in states where state.isStale(at: now) != state.stale {
                states[source]?.stale.toggle()
                changed.append(source)
            }
            return (states, changed)
        }
        for (source, state) in states {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "crl", unitName: "stale",
                                                                helpText: "1 while a revocation list is past its nextUpdate or has never been read."),
                               labels: [("crl", source)]).set(to: state.stale ? 1 : 0)
            if let next = state.nextUpdate {
                registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "crl_next_update", unitName: "timestamp_seconds",
                                                                    helpText: "When a revocation list in force says the next is due, in Unix seconds."),
                                   labels: [("crl", source)]).set(to: next.timeIntervalSince1970)
            }
        }
        for source in changed.sorted() {
            guard let state = states[source] else { continue }
            if state.stale {
                let consequence = policy == .failClosed ? "certificates its CA issued are refused until a current list is read (fail-closed)"
                                                        : "certificates its CA issued are still accepted (fail-open)"
                logger.error("revocation list is stale: past its nextUpdate, or never read; \(consequence)",
                             metadata: [LogKey.crl: "\(source)", LogKey.error: "\(state.failure ?? "the list read is itself past its nextUpdate")"])
            } else {
                logger.notice("revocation list is current again", metadata: [LogKey.crl: "\(source)"])
            }
        }
    }
}
