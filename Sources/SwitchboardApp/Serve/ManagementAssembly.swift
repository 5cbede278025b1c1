import Foundation
import Hummingbird
import NIOConcurrencyHelpers
public import Logging
public import NIOCore
public import Prometheus
public import SwitchboardAdmin
public import SwitchboardAudit
public import SwitchboardDirectory
public import SwitchboardProxy

/// Builds the management listener from the configuration.
public struct ManagementAssembly: Sendable {
    public let configuration: SwitchboardConfiguration

    public init(configuration: SwitchboardConfiguration) {
        self.configuration = configuration
    }

    /// What `/metrics` and `/ready` read from the running process.
    public struct Observed: Sendable {
        public var directory: Directory
        public var auditWriter: AuditWriter?
        public var proxy: ProxyServer?
        public var upstream: UpstreamClient?
        public var certificates: CertificateExpiries?

        public init(directory: Directory, auditWriter: AuditWriter?, proxy: ProxyServer?, upstream: UpstreamClient? = nil,
                    certificates: CertificateExpiries? = nil) {
            self.directory = directory
            self.auditWriter = auditWriter
            self.proxy = proxy
            self.upstream = upstream
            self.certificates = certificates
        }
    }

    /// The management listener; its tokens are checked in the store ``TokenOperations/openStore(_:)`` chooses.
    public func makeServer(observed: Observed, auditStore: (any AuditStore)?, registry: PrometheusCollectorRegistry,
                           eventLoopGroup: any EventLoopGroup, logger: Logger) async throws -> ManagementServer {
        let management = configuration.management
        let roles = try management.roles().compactMapValues(Role.init(rawValue:))
        let tokens = try await TokenOperations.openStore(configuration)
        let signInFailures = FailureLimiter(perMinute: management.maximumFailuresPerMinute)
        let authentication = AuthenticationMiddleware(tokens: tokens, certificateRoles: roles, failures: signInFailures, logger: logger)
        func gauge(_ name: String, _ unit: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: name, unitName: unit, helpText: help))
        }
        let generation = gauge("directory", "generation", "The directory store generation this process's snapshot was built from.")
        let connections = gauge("open", "connections", "Consumer connections open on the proxy port.")
        let queue = gauge("audit_queue", "depth", "Audit records waiting for the next group commit.")
        let commits = gauge("audit_commits", "count", "Group-commit transactions made since start.")
        let committed = gauge("audit_records_committed", "count", "Audit records made durable since start.")
        let failures = gauge("audit_failures", "count", "Failed audit transactions since start.")
        let commitSeconds = gauge("audit_commit", "seconds_sum", "Total time spent committing audit records.")
        let lastCommit = gauge("audit_last_commit", "seconds", "How long the last audit commit took.")
        let reconciled = gauge("audit_failed_rows_committed", "count", "Rows of failed audit transactions found committed on recovery.")
        let unreconciled = gauge("audit_failed_rows_missing", "count", "Rows of failed audit transactions found missing on recovery.")
        let failing = gauge("audit_store", "failing", "1 while the audit store refuses records (exchanges are answered 503).")
        let upstreamOpen = gauge("upstream", "connections", "Provider connections open or being opened, every event loop's pool together.")
        let upstreamBusy = gauge("upstream_busy", "connections", "Provider connections carrying an exchange now.")
        let upstreamWaiting = gauge("upstream_waiting", "exchanges", "Exchanges waiting for a provider connection (the per-provider limit reached).")
        let beforeScrape: @Sendable () -> Void = {
            if let use = observed.upstream?.poolUse {
                upstreamOpen.set(to: Double(use.openConnections))
                upstreamBusy.set(to: Double(use.busyConnections))
                upstreamWaiting.set(to: Double(use.waitingExchanges))
            }
            for (name, expiry) in observed.certificates?.all ?? [:] {
                // The registry hands back the series it already has for these labels.
                registry.makeGauge(
                    descriptor: MetricNameDescriptor(namespace: "switchboard", metricName: "certificate_expiry", unitName: "timestamp_seconds",
                                                     helpText: "When a certificate file this node presents or trusts expires (its earliest), in Unix seconds."),
                    labels: [("certificate", name)]).set(to: expiry.timeIntervalSince1970)
            }
            generation.set(to: Double(observed.directory.snapshot.generation))
            connections.set(to: Double(observed.proxy?.connectionCount ?? 0))
            if let writer = observed.auditWriter {
                let statistics = writer.statistics
                queue.set(to: Double(statistics.queueDepth))
                commits.set(to: Double(statistics.commits))
                committed.set(to: Double(statistics.records))
                failures.set(to: Double(statistics.failures))
                reconciled.set(to: Double(statistics.reconciledCommitted))
                unreconciled.set(to: Double(statistics.reconciledMissing))
                commitSeconds.set(to: statistics.commitSeconds)
                lastCommit.set(to: statistics.lastCommitSeconds)
                failing.set(to: writer.isFailing ? 1 : 0)
            }
        }
        let checks: [OperationsRoutes.Check] = [
            { () async -> (name: String, problem: String?) in
                do {
                    _ = try await observed.directory.store.generation()
                    return ("directoryStore", nil)
                } catch { return ("directoryStore", "\(error)") }
            },
            { () async -> (name: String, problem: String?) in
                ("directorySnapshot", observed.directory.snapshot.tables.count > 0 ? nil : "the directory is empty")
            },
            { () async -> (name: String, problem: String?) in
                ("auditStore", observed.auditWriter.map { $0.isFailing ? "the audit store is refusing records" : nil } ?? "audit is off")
            },
        ]
        var register: [(Router<ManagementContext>) -> Void] = [
            OperationsRoutes(registry: registry, checks: checks, beforeScrape: beforeScrape).register(on:),
            AdminRoutes(directory: observed.directory, maximumBody: management.maximumBodyBytes).register(on:),
        ]
        let nhsNumberKey = try configuration.audit.nhsNumberLookUpKey()
        if let auditStore { register.append(AuditRoutes(store: auditStore, nhsNumberKey: nhsNumberKey).register(on:)) }
        let sessions = ConsoleSessions(store: try await TokenOperations.openSessionStore(configuration))
        let console = ConsoleRoutes(tokens: tokens, sessions: sessions, failures: signInFailures, auditStore: auditStore, nhsNumberKey: nhsNumberKey)
        register.append(console.register(on:))
        register.append(ConsoleAdminRoutes(console: console, directory: observed.directory).register(on:))
        return try ManagementServer(
            settings: .init(host: management.host, port: management.port, certificate: management.certificate, privateKey: management.privateKey,
                            clientCA: management.clientCA),
            actionLog: observed.auditWriter.map {
                ManagementActionLog(recorder: $0, node: configuration.node.id, maximumBody: management.maximumBodyBytes, logger: logger)
            },
            authentication: authentication, register: register, eventLoopGroup: eventLoopGroup, logger: logger)
    }
}
