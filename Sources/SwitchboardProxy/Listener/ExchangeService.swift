import Foundation
import Synchronization
public import Logging
public import NIOCore
import NIOSSL
public import SwitchboardAudit
import SwitchboardCore
public import SwitchboardDirectory
public import Tracing

/// What every consumer connection shares: the settings, the admission phases, the live
/// directory, the upstream client, the audit recorder and the connection registry. Each
/// connection's ``ConsumerConnection`` handler takes its exchanges through them on its own
/// event loop.
public final class ExchangeService: Sendable {
    public struct Settings: Sendable {
        public var node: String
        /// How this proxy names itself in `Forwarded: host=`.
        public var proxyHost: String
        public var maxBodyBytes: Int
        public var allowedOrigins: Set<String>
        /// The JSON `GET /_status` answers: liveness, this node and the build it runs.
        public var statusBody: String
        /// The key of the records' NHS number look-ups; `nil`: none are kept.
        public var nhsNumberKey: NHSNumberKey?

        public init(node: String, proxyHost: String, maxBodyBytes: Int, allowedOrigins: Set<String>, statusBody: String = #"{"status":"ok"}"#,
                    nhsNumberKey: NHSNumberKey? = nil) {
            self.node = node
            self.proxyHost = proxyHost
            self.maxBodyBytes = maxBodyBytes
            self.allowedOrigins = allowedOrigins
            self.statusBody = statusBody
            self.nhsNumberKey = nhsNumberKey
        }
    }

    let settings: Settings
    let pipeline: ExchangePipeline
    let directory: DirectorySnapshotHolder
    let upstream: UpstreamClient
    let forward: ForwardPhase
    let audit: AuditPhase
    let patient: PatientPhase
    private let corsPolicy: Mutex<CORSPolicy>
    /// The browser origins in force (a reload may replace them).
    var cors: CORSPolicy { corsPolicy.withLock { $0 } }
    let registry = ConnectionRegistry()
    let logger: Logger
    /// Makes each exchange's spans; nil when tracing is off.
    let tracer: (any Tracer)?

    public init(settings: Settings, pipeline: ExchangePipeline, directory: DirectorySnapshotHolder, upstream: UpstreamClient,
                recorder: any ExchangeRecorder, metrics: ProxyMetrics? = nil, tracer: (any Tracer)? = nil, eventLoopGroup: any EventLoopGroup,
                logger: Logger) {
        self.settings = settings
        self.pipeline = pipeline
        self.directory = directory
        self.upstream = upstream
        self.forward = ForwardPhase(proxyHost: settings.proxyHost)
        self.audit = AuditPhase(recorder: recorder, metrics: metrics, eventLoopGroup: eventLoopGroup, logger: logger)
        self.patient = PatientPhase(key: settings.nhsNumberKey)
        self.corsPolicy = Mutex(CORSPolicy(allowedOrigins: settings.allowedOrigins))
        self.tracer = tracer
        self.logger = logger
    }

    /// Counts a connection closed before its handshake for a PROXY header problem.
    func proxyProtocolRefused(_ refusal: ProxyProtocolReader.Refusal) {
        audit.metrics?.proxyProtocolRefused(refusal)
    }

    /// Puts new CORS origins in force for the exchanges that start from now on.
    public func replaceAllowedOrigins(_ origins: Set<String>) {
        corsPolicy.withLock { $0 = CORSPolicy(allowedOrigins: origins) }
    }

    /// The rate limiters of the throttle phase, whose limits a reload replaces.
    public var rateLimiters: (consumers: RateLimiter, providers: RateLimiter) {
        (pipeline.throttle.consumers, pipeline.throttle.providers)
    }

    /// Open consumer connections.
    public var openConnections: Int { registry.count }

    /// Records plain HTTP sent to the TLS port (answered `497` by ``PlainHTTPDetector``).
    func recordPlainHTTP(clientAddress: String, requestLine: String, on eventLoop: any EventLoop) {
        let parts = requestLine.split(separator: " ", maxSplits: 2)
        audit.record(.plainHTTPOnTLSPort, node: settings.node, client: ClientIdentity(address: clientAddress, certificate: nil),
                     method: parts.first.map { String($0.prefix(16)) } ?? "",
                     targetURL: parts.count > 1 ? ProxyRefusal.sanitised(String(parts[1].prefix(2048))) : "",
                     on: eventLoop) { _ in }
    }

    /// Who is at the other end of `channel`, from the certificate captured at the handshake.
    static func clientIdentity(channel: any Channel, identity: ConnectionIdentityBox) -> ClientIdentity {
        let address = identity.clientAddress.withLock { $0 } ?? channel.remoteAddress?.ipAddress ?? "unknown"
        guard let peer = identity.peerCertificate.withLock({ $0 }), let der = try? peer.toDERBytes() else {
            return ClientIdentity(address: address, certificate: nil)
        }
        return ClientIdentity(address: address, certificate: CertificateIdentities.shared.identity(der: der))
    }
}
