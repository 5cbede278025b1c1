import Logging
import NIOSSL
import Prometheus
import ServiceLifecycle
import SwitchboardAdmin
import SwitchboardProxy
import SwitchboardCore
import Synchronization
import UnixSignals

/// What `switchboard serve` changes without a restart when it receives SIGHUP: the configuration
/// file is read again, and these settings are put in force for the connections and exchanges
/// that start from then on:
/// - `proxy.tls` (certificate, key, consumer CA bundle, cipher list);
/// - `proxy.upstream` TLS (the providers' CA bundle, the proxy's client certificate and key);
/// - `management.certificate` and `management.privateKey`;
/// - `proxy.throttle` (each ASID keeps what it has saved, up to its new burst);
/// - `proxy.cors.allowedOrigins`.
///
/// Certificate and key files are read again even when their paths are unchanged: renewing a
/// certificate in place and sending SIGHUP is the intended use. Everything is read and checked
/// before anything changes, so a reload is applied whole or not at all: a file that cannot be
/// read, a key that does not match its certificate or an invalid setting leaves all the old
/// material in force, is logged with the reason and is counted. Other settings that changed are
/// logged as taking effect at the next restart.
public final class ConfigurationReload: Sendable {
    /// The outcome of one reload, as logged.
    public enum Outcome: Sendable, Equatable {
        /// Applied; `restartNeeded` names changed settings that only a restart puts in force.
        case applied(restartNeeded: [String])
        case refused(reason: String)
    }

    private let loadConfiguration: @Sendable () throws -> SwitchboardConfiguration
    private let proxy: ProxyServer
    private let upstream: UpstreamClient
    private let management: ManagementServer?
    private let certificates: CertificateExpiries
    private let revocationLists: RevocationListRefresh
    private let logger: Logger
    private let inForce: Mutex<SwitchboardConfiguration>
    private let applied: Counter
    private let refused: Counter

    init(configuration: SwitchboardConfiguration, loadConfiguration: @escaping @Sendable () throws -> SwitchboardConfiguration,
         proxy: ProxyServer, upstream: UpstreamClient, management: ManagementServer?, certificates: CertificateExpiries,
         revocationLists: RevocationListRefresh, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.loadConfiguration = loadConfiguration
        self.proxy = proxy
        self.upstream = upstream
        self.management = management
        self.certificates = certificates
        self.revocationLists = revocationLists
        self.logger = logger
        inForce = Mutex(configuration)
        let descriptor = MetricNameDescriptor(namespace: "switchboard", metricName: "configuration_reloads", unitName: "total",
                                              helpText: "Configuration reloads (SIGHUP), by result: applied, or refused with the old settings left in force.")
        applied = registry.makeCounter(descriptor: descriptor, labels: [("result", "applied")])
        refused = registry.makeCounter(descriptor: descriptor, labels: [("result", "refused")])
    }

    /// Reads the configuration and its certificate files again and applies what can change
    /// while traffic flows; logs and returns the outcome.
    @discardableResult
    public func reload() -> Outcome {
        let outcome = attempt()
        switch outcome {
        case .applied(let restartNeeded):
            applied.increment()
            logger.notice("configuration reloaded", metadata: [
                LogKey.reloaded: "proxy.tls, proxy.upstream TLS, management certificate, proxy.throttle, proxy.cors, proxy.revocation",
            ])
            if !restartNeeded.isEmpty {
                logger.warning("configuration reloaded; these changed settings take effect at the next restart",
                               metadata: [LogKey.settings: .array(restartNeeded.map { .string($0) })])
            }
        case .refused(let reason):
            refused.increment()
            logger.error("configuration reload refused; the settings and certificates in force are unchanged",
                         metadata: [LogKey.error: "\(reason)"])
        }
        return outcome
    }

    private func attempt() -> Outcome {
        let configuration: SwitchboardConfiguration
        do {
            configuration = try loadConfiguration()
            try configuration.proxy.checkFiles()
            if management != nil { try configuration.management.checkFiles() }
        } catch {
            return .refused(reason: ErrorMessage.describe(error))
        }
        let assembly = ProxyAssembly(configuration: configuration)
        let proxyTLS: NIOSSLContext, upstreamTLS: NIOSSLContext
        let managementCertificate: NIOSSLContextConfigurationOverride?
        let limits: (consumers: RateLimiter.Limits, providers: RateLimiter.Limits)
        do {
            proxyTLS = try ProxyServer.makeTLSContext(configuration.proxy.tls)
        } catch {
            return .refused(reason: "proxy.tls: cannot use \(configuration.proxy.tls.certificate) and \(configuration.proxy.tls.privateKey) "
                            + "with the consumer CA \(configuration.proxy.tls.clientCA): \(error)")
        }
        do {
            upstreamTLS = try UpstreamClient.tlsContext(configuration.proxy.upstream)
        } catch {
            return .refused(reason: "proxy.upstream: cannot use its CA bundle or client certificate: \(error)")
        }
        do {
            managementCertificate = try management.map { _ in
                try ManagementServer.certificateMaterial(certificate: configuration.management.certificate,
                                                         privateKey: configuration.management.privateKey)
            }
        } catch {
            return .refused(reason: "management: cannot use \(configuration.management.certificate) and \(configuration.management.privateKey): \(error)")
        }
        do {
            limits = try assembly.throttleLimits()
            try revocationLists.configure(configuration)
        } catch {
            return .refused(reason: "\(error)")
        }

        proxy.replaceTLS(proxyTLS)
        upstream.replaceTLS(upstreamTLS)
        if let management, let managementCertificate { management.replaceCertificate(managementCertificate) }
        let service = proxy.exchangeService
        service.rateLimiters.consumers.replaceLimits(limits.consumers)
        service.rateLimiters.providers.replaceLimits(limits.providers)
        service.replaceAllowedOrigins(Set(configuration.proxy.cors.allowedOrigins))
        certificates.update(from: configuration)

        let previous = inForce.withLock { inForce in
            defer { inForce = configuration }
            return inForce
        }
        return .applied(restartNeeded: Self.restartNeeded(from: previous, to: configuration))
    }

    /// The settings whose new values a reload does not put in force.
    static func restartNeeded(from old: SwitchboardConfiguration, to new: SwitchboardConfiguration) -> [String] {
        let before = Dictionary(ConfigurationLoader.settings(of: old).map { ($0.path, $0.value) }) { first, _ in first }
        return ConfigurationLoader.settings(of: new).filter { setting in
            before[setting.path] != setting.value
                && !reloadable.contains { setting.path == $0 || setting.path.hasPrefix($0 + ".") }
        }.map(\.path)
    }

    /// The settings (and sections) a reload applies.
    static let reloadable = [
        "proxy.tls", "proxy.upstream.caBundle", "proxy.upstream.clientCertificate", "proxy.upstream.clientPrivateKey",
        "management.certificate", "management.privateKey", "proxy.throttle.consumerRequestsPerSecond", "proxy.throttle.consumerBurst",
        "proxy.throttle.providerRequestsPerSecond", "proxy.throttle.providerBurst", "proxy.throttle.consumerOverrides",
        "proxy.throttle.providerOverrides", "proxy.cors", "proxy.revocation",
    ]
}

/// Reloads the configuration on each SIGHUP until the service group stops.
struct ReloadOnHangUp: Service {
    let reload: ConfigurationReload

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            reload.reload()
        }
    }
}
