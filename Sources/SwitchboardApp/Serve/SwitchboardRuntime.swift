public import Logging
import NIOCore
import Prometheus
import SwitchboardAdmin
import NIOPosix
import ServiceLifecycle
import UnixSignals
import SwitchboardAudit
import SwitchboardDirectory
import SwitchboardProxy

/// `switchboard serve`: opens the stores, builds the request path and runs the listeners until
/// SIGTERM or SIGINT, then shuts down gracefully (stop accepting, finish in-flight exchanges).
public enum SwitchboardRuntime {
    public static func serve(configuration: SwitchboardConfiguration, logger: Logger) async throws {
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let assembly = ProxyAssembly(configuration: configuration)
        let directory = try await DirectoryOperations(configuration: configuration.directory).openDirectory()
        logger.info("directory loaded", metadata: [
            "sb.directory.generation": "\(directory.snapshot.generation)",
            "sb.directory.systems": "\(directory.snapshot.tables.systems.count)",
            "sb.directory.endpoints": "\(directory.snapshot.tables.endpoints.count)",
        ])
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        let recorder: any ExchangeRecorder
        var auditStore: (any AuditStore)?
        var auditWriter: AuditWriter?
        if try configuration.audit.storeLocation == .off {
            logger.critical("audit.store is off: exchanges are NOT recorded; use this for benchmarks and development only")
            recorder = LoggingExchangeRecorder(logger: logger)
        } else {
            let store = try AuditOperations(configuration: configuration.audit).openStore()
            let writer = AuditWriter(store: store,
                                     settings: .init(node: configuration.node.id, maximumBatch: configuration.audit.maximumBatch,
                                                     recoveryInterval: .milliseconds(configuration.audit.recoveryIntervalMilliseconds)),
                                     logger: logger)
            services.append(.init(service: writer))
            recorder = writer
            auditStore = store
            auditWriter = writer
        }
        let registry = PrometheusCollectorRegistry()
        let metrics = ProxyMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let upstream = try assembly.makeUpstreamClient(eventLoopGroup: eventLoopGroup)
        do {
            let server = try assembly.makeServer(directory: directory.holder, upstream: upstream, recorder: recorder, metrics: metrics,
                                                 eventLoopGroup: eventLoopGroup, logger: logger)
            let refresher = DirectoryRefreshService(directory: directory, interval: .milliseconds(configuration.directory.refreshIntervalMilliseconds),
                                                    logger: logger)
            services += [.init(service: refresher), .init(service: server)]
            if configuration.management.enabled {
                let management = try ManagementAssembly(configuration: configuration).makeServer(
                    observed: .init(directory: directory, auditWriter: auditWriter, proxy: server), auditStore: auditStore, registry: registry,
                    eventLoopGroup: eventLoopGroup, logger: logger)
                services.append(.init(service: management))
            }
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        } catch {
            try? await upstream.shutdown()
            throw error
        }
        try await upstream.shutdown()
    }
}
