import Logging
import OTel
import Synchronization
import ServiceLifecycle
import SwitchboardCore
import Tracing

/// The OpenTelemetry tracer of `tracing` (swift-otel's OTLP/HTTP exporter and batch span
/// processor) and the service that sends what it gathers. Nothing is bootstrapped process-wide:
/// the proxy is handed the tracer. `OTEL_*` environment variables override the settings, as the
/// OpenTelemetry specification says.
struct TracingBackend: Sendable {
    var tracer: any Tracer
    var service: any Service

    /// Backends made, held until the process exits. swift-otel's OTLP/HTTP exporter shuts its
    /// HTTP client down with `syncShutdown()` when it is released, which traps on an event loop
    /// thread, and `serve` runs every task on the event loops; so it is never released.
    private static let keptForTheProcess = Mutex<[TracingBackend]>([])

    /// Nil when `tracing.exporter` is `none`.
    static func make(_ configuration: TracingConfiguration, logger: Logger) throws -> TracingBackend? {
        guard configuration.exporter == .otlp else { return nil }
        var otel = OTel.Configuration.default
        otel.serviceName = configuration.serviceName
        otel.logs.enabled = false
        otel.metrics.enabled = false
        otel.traces.enabled = true
        otel.traces.exporter = .otlp
        otel.traces.otlpExporter.endpoint = configuration.endpoint
        otel.traces.otlpExporter.protocol = configuration.protocol == .httpJSON ? .httpJSON : .httpProtobuf
        otel.traces.batchSpanProcessor.scheduleDelay = .milliseconds(configuration.exportIntervalMilliseconds)
        otel.traces.sampler = .parentBasedTraceIDRatio(ratio: configuration.sampleRatio) ?? .parentBasedAlwaysOn
        otel.propagators = [.traceContext]
        otel.diagnosticLogger = .custom(logger)
        otel.diagnosticLogLevel = .warning
        do {
            let backend = try OTel.makeTracingBackend(configuration: otel)
            let made = TracingBackend(tracer: backend.factory, service: backend.service)
            keptForTheProcess.withLock { $0.append(made) }
            return made
        } catch {
            throw ConfigurationError(setting: "tracing", message: "cannot start the OpenTelemetry tracer: \(error)")
        }
    }
}
