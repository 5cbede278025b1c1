import Foundation
public import Hummingbird
import NIOCore
public import Prometheus

/// `/health` (the process is up), `/ready` (its stores answer and its directory is loaded) and
/// `/metrics` (Prometheus text format) for operators and load balancers.
public struct OperationsRoutes: Sendable {
    /// One readiness check: its name and what it found (`nil` when fine).
    public typealias Check = @Sendable () async -> (name: String, problem: String?)

    public let registry: PrometheusCollectorRegistry
    public let checks: [Check]
    /// Updates gauges read at scrape time (connections, queue depth, generation).
    public let beforeScrape: @Sendable () -> Void

    public init(registry: PrometheusCollectorRegistry, checks: [Check], beforeScrape: @escaping @Sendable () -> Void) {
        self.registry = registry
        self.checks = checks
        self.beforeScrape = beforeScrape
    }

    public func register(on router: Router<ManagementContext>) {
        router.get("health") { request, context in
            try FormQuery(request).only([])
            return try StatusAnswer(status: "ok").response(request, context)
        }
        router.get("ready") { request, context in
            try FormQuery(request).only([])
            var results: [String: String] = [:]
            for check in checks {
                let (name, problem) = await check()
                results[name] = problem ?? "ok"
            }
            let ready = results.values.allSatisfy { $0 == "ok" }
            return try StatusAnswer(status: ready ? "ready" : "not-ready", checks: results).response(request, context, status: ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { request, _ in
            try FormQuery(request).only([])
            beforeScrape()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}
