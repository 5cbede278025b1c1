import Foundation
public import Logging
public import NIOCore
public import SwitchboardAudit
public import SwitchboardDirectory
public import SwitchboardProxy
import SwitchboardBuildInfo
public import SwitchboardCore
public import Tracing

/// Builds the proxy's request path from the configuration: the phases, the upstream client, the
/// exchange handler and the listener.
public struct ProxyAssembly: Sendable {
    public let configuration: SwitchboardConfiguration
    /// The revocation lists both legs check certificates against (kept current by
    /// ``RevocationListRefresh`` in `serve`).
    public let revocation: CertificateRevocation

    public init(configuration: SwitchboardConfiguration, revocation: CertificateRevocation = CertificateRevocation()) {
        self.configuration = configuration
        self.revocation = revocation
    }

    /// The consumers' and the providers' rate limits of `proxy.throttle`.
    public func throttleLimits() throws(ConfigurationError) -> (consumers: RateLimiter.Limits, providers: RateLimiter.Limits) {
        let proxy = configuration.proxy
        func limit(_ rate: Double, _ burst: Double) -> RateLimiter.Limit? {
            rate > 0 ? RateLimiter.Limit(rate: rate, burst: max(1, burst > 0 ? burst : rate)) : nil
        }
        return (RateLimiter.Limits(defaultLimit: limit(proxy.throttle.consumerRequestsPerSecond, proxy.throttle.consumerBurst),
                                   overrides: try proxy.throttleOverrides(proxy.throttle.consumerOverrides, setting: "proxy.throttle.consumerOverrides")),
                RateLimiter.Limits(defaultLimit: limit(proxy.throttle.providerRequestsPerSecond, proxy.throttle.providerBurst),
                                   overrides: try proxy.throttleOverrides(proxy.throttle.providerOverrides, setting: "proxy.throttle.providerOverrides")))
    }

    public func makePipeline() throws(ConfigurationError) -> ExchangePipeline {
        let proxy = configuration.proxy
        let limits = try throttleLimits()
        let consumers = RateLimiter(limits: limits.consumers)
        let providers = RateLimiter(limits: limits.providers)
        return ExchangePipeline(
            identify: IdentifyPhase(revocation: revocation),
            validate: ValidatePhase(jwt: JWTValidator(clockSkewSeconds: proxy.checks.jwtClockSkewSeconds),
                                    now: { Int(Date().timeIntervalSince1970) },
                                    acceptCollapsedTargetScheme: proxy.checks.acceptCollapsedTargetScheme),
            authorise: AuthorisePhase(enforceSharingAgreements: proxy.checks.enforceSharingAgreements),
            route: RoutePhase(strictInteractionMatch: proxy.checks.strictInteractionMatch),
            throttle: ThrottlePhase(consumers: consumers, providers: providers))
    }

    /// `{"status":"ok","node":…,"version":…,"commit":…,"builtAt":…,"swiftVersion":…}`.
    var statusBody: String {
        struct Status: Encodable {
            var status = "ok"
            var node: String
            var version, commit, builtAt, swiftVersion: String
        }
        let build = BuildInfo.current
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let status = Status(node: configuration.node.id, version: build.version, commit: build.commit, builtAt: build.builtAt, swiftVersion: build.swiftVersion)
        return (try? encoder.encode(status)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"status":"ok"}"#
    }

    /// The upstream client; shut it down after the server stops.
    public func makeUpstreamClient(eventLoopGroup: any EventLoopGroup) throws -> UpstreamClient {
        try UpstreamClient(configuration: configuration.proxy.upstream, revocation: revocation, eventLoopGroup: eventLoopGroup)
    }

    public func makeServer(
        directory: DirectorySnapshotHolder, upstream: UpstreamClient, recorder: any ExchangeRecorder, metrics: ProxyMetrics? = nil,
        tracer: (any Tracer)? = nil, eventLoopGroup: any EventLoopGroup, logger: Logger
    ) throws -> ProxyServer {
        let proxy = configuration.proxy
        let service = ExchangeService(
            settings: .init(node: configuration.node.id, proxyHost: proxy.listen.host == "0.0.0.0" ? ProcessInfo.processInfo.hostName : proxy.listen.host,
                            maxBodyBytes: proxy.limits.maxBodyBytes, allowedOrigins: Set(proxy.cors.allowedOrigins),
                            statusBody: statusBody, nhsNumberKey: try configuration.audit.nhsNumberLookUpKey()),
            pipeline: try makePipeline(), directory: directory, upstream: upstream, recorder: recorder, metrics: metrics, tracer: tracer,
            eventLoopGroup: eventLoopGroup, logger: logger)
        do {
            return try ProxyServer(configuration: proxy, service: service, eventLoopGroup: eventLoopGroup, logger: logger)
        } catch {
            throw ConfigurationError(setting: "proxy.tls", message: "cannot set up TLS: \(error)")
        }
    }
}
