public import Logging
import NIOCore
import NIOPosix
import Foundation
import Prometheus
public import ServiceLifecycle
public import SwitchboardAdmin
public import SwitchboardAudit
public import SwitchboardDirectory
public import SwitchboardProxy
import SwitchboardBuildInfo
import SwitchboardCore
import SwitchboardPostgres
import SwitchboardStorage
import UnixSignals

/// Everything `switchboard serve` runs, built from a configuration: the stores, the audit
/// writer, the directory refresher, the proxy and management listeners, as services in start
/// order, and the configuration reload on SIGHUP. `serve` runs them until SIGTERM or SIGINT; the
/// demo adds its own beside them.
public struct SwitchboardRuntime: Sendable {
    public let services: [ServiceGroupConfiguration.ServiceConfiguration]
    public let directory: Directory
    public let proxy: ProxyServer
    public let management: ManagementServer?
    public let auditStore: (any AuditStore)?
    public let upstream: UpstreamClient
    /// Puts renewed certificates, rate limits and CORS origins in force; `nil` when built without
    /// a way to read the configuration again.
    public let reload: ConfigurationReload?

    /// - Parameter loadConfiguration: reads the configuration again for a reload (SIGHUP); `nil`
    ///   for none.
    public static func build(configuration: SwitchboardConfiguration, logger: Logger,
                             loadConfiguration: (@Sendable () throws -> SwitchboardConfiguration)? = nil) async throws -> SwitchboardRuntime {
        // Every certificate and key file first: a missing one stops start-up naming its setting,
        // before a store is opened or a TLS context made.
        try configuration.proxy.checkFiles()
        if configuration.management.enabled { try configuration.management.checkFiles() }
        let checkpointKeys = try configuration.audit.checkpoints.keys()
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let registry = PrometheusCollectorRegistry()
        let revocationLists = RevocationListRefresh(revocation: CertificateRevocation(), registry: registry, logger: logger)
        try revocationLists.configure(configuration)
        try await revocationLists.readAll()
        let assembly = ProxyAssembly(configuration: configuration, revocation: revocationLists.revocation)
        let directory = try await DirectoryOperations(configuration: configuration.directory).openDirectory()
        logger.info("directory loaded", metadata: [
            LogKey.directoryGeneration: "\(directory.snapshot.generation)",
            LogKey.directorySystems: "\(directory.snapshot.tables.systems.count)",
            LogKey.directoryEndpoints: "\(directory.snapshot.tables.endpoints.count)",
        ])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.stopsGracefully(revocationLists)]
        let commitLatency = registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "audit_commit_duration", unitName: "seconds",
                                             helpText: "How long each audit group commit took, until its records were durable."),
            buckets: [.microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1)])
        let recorder: any ExchangeRecorder
        var auditStore: (any AuditStore)?
        var auditWriter: AuditWriter?
        if try configuration.audit.storeLocation == .off {
            logger.critical("audit.store is off: exchanges are NOT recorded; use this for benchmarks and development only")
            recorder = UnauditedRecorder()
        } else {
            let store = try await AuditOperations(configuration: configuration.audit).openStore(writing: true)
            let writer = AuditWriter(store: store,
                                     settings: .init(node: configuration.node.id, maximumBatch: configuration.audit.maximumBatch,
                                                     recoveryInterval: .milliseconds(configuration.audit.recoveryIntervalMilliseconds),
                                                     commitObserved: { commitLatency.record($0) }),
                                     logger: logger)
            services.append(.stopsGracefully(writer))
            if let checkpointKeys {
                let checkpoints = configuration.audit.checkpoints
                let signedAt = registry.makeGauge(descriptor: MetricNameDescriptor(
                    namespace: "switchboard", metricName: "audit_checkpoint", unitName: "timestamp_seconds",
                    helpText: "When this node last signed a checkpoint of its audit chain (Unix time)"))
                services.append(.stopsGracefully(CheckpointSigner(store: store, settings: .init(
                    node: configuration.node.id, key: checkpointKeys.current, previousKey: checkpointKeys.previous,
                    everyRecords: checkpoints.everyRecords, interval: .seconds(checkpoints.everySeconds),
                    outsideFile: checkpoints.outsideFile.isEmpty ? nil : checkpoints.outsideFile,
                    signed: { signedAt.set($0.signedAt.timeIntervalSince1970) }), logger: logger)))
            }
            recorder = writer
            auditStore = store
            auditWriter = writer
        }
        let build = BuildInfo.current
        registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "build", unitName: "info",
                                                            helpText: "Always 1; its labels say which build this process runs"),
                           labels: [("version", build.version), ("commit", build.commit), ("built_at", build.builtAt), ("swift_version", build.swiftVersion)])
            .set(Int64(1))
        let metrics = ProxyMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let upstream = try assembly.makeUpstreamClient(eventLoopGroup: eventLoopGroup)
        do {
            let tracing = try TracingBackend.make(configuration.tracing, logger: logger)
            if let tracing { services.append(.stopsGracefully(tracing.service)) }
            let proxy = try assembly.makeServer(directory: directory.holder, upstream: upstream, recorder: recorder, metrics: metrics,
                                                tracer: tracing?.tracer, eventLoopGroup: eventLoopGroup, logger: logger)
            let refresher = DirectoryRefreshService(directory: directory, interval: .milliseconds(configuration.directory.refreshIntervalMilliseconds),
                                                    logger: logger)
            services += [.stopsGracefully(refresher), .stopsGracefully(proxy)]
            let directoryLocation = try configuration.directory.storeLocation
            if case .postgres(let location) = directoryLocation {
                let table = try await StoreOpenError.opening("directory.store (shared rate limits)", at: location.description) {
                    try await PostgresAdmissionTable(location: location, logger: Logger(label: "switchboard.throttle.postgres"))
                }
                let limiters = proxy.exchangeService.rateLimiters
                services.append(.stopsGracefully(SharedRateLimits(
                    node: configuration.node.id, ledger: DatabaseAdmissionLedger(table: table), consumers: limiters.consumers,
                    providers: limiters.providers, interval: .milliseconds(configuration.proxy.throttle.shareIntervalMilliseconds),
                    registry: registry, logger: logger)))
            }
            var management: ManagementServer?
            let expiries = CertificateExpiries(configuration: configuration)
            if configuration.management.enabled {
                let server = try await ManagementAssembly(configuration: configuration).makeServer(
                    observed: .init(directory: directory, auditWriter: auditWriter, proxy: proxy, upstream: upstream, certificates: expiries),
                    auditStore: auditStore, registry: registry,
                    eventLoopGroup: eventLoopGroup, logger: logger)
                services.append(.stopsGracefully(server))
                management = server
            }
            var reload: ConfigurationReload?
            if let loadConfiguration {
                let reloader = ConfigurationReload(configuration: configuration, loadConfiguration: loadConfiguration, proxy: proxy,
                                                   upstream: upstream, management: management, certificates: expiries, revocationLists: revocationLists,
                                                   registry: registry,
                                                   logger: logger)
                services.append(.stopsGracefully(ReloadOnHangUp(reload: reloader)))
                reload = reloader
            }
            return SwitchboardRuntime(services: services, directory: directory, proxy: proxy, management: management, auditStore: auditStore,
                                      upstream: upstream, reload: reload)
        } catch {
            try? await upstream.shutdown()
            throw error
        }
    }

    /// `switchboard serve`: runs every service until SIGTERM or SIGINT, then stops gracefully;
    /// on SIGHUP, reads the configuration again with `loadConfiguration` (``ConfigurationReload``).
    public static func serve(configuration: SwitchboardConfiguration, logger: Logger,
                             loadConfiguration: @escaping @Sendable () throws -> SwitchboardConfiguration) async throws {
        let runtime = try await build(configuration: configuration, logger: logger, loadConfiguration: loadConfiguration)
        let group = ServiceGroup(configuration: .init(services: runtime.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            try? await runtime.upstream.shutdown()
            throw error
        }
        try await runtime.upstream.shutdown()
    }
}

extension ServiceGroupConfiguration.ServiceConfiguration {
    /// A service whose failure (a listener that cannot bind) stops the others gracefully, in
    /// reverse start order, rather than cancelling them mid-flight.
    static func stopsGracefully(_ service: some Service) -> Self {
        .init(service: service, failureTerminationBehavior: .gracefullyShutdownGroup)
    }
}
