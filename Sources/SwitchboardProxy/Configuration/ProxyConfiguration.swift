import SwitchboardCore
/// Settings of the proxy port. Every duration is in milliseconds, every size in bytes.
public struct ProxyConfiguration: Codable, Sendable, Equatable {
    /// Event-loop threads serving connections (and, in `switchboard serve`, running every task
    /// of the process); `0` means one per CPU core.
    public var eventLoopThreads: Int = 0
    public var listen: Listen = .init()
    public var tls: ServerTLS = .init()
    public var limits: Limits = .init()
    public var upstream: Upstream = .init()
    public var checks: Checks = .init()
    public var throttle: Throttle = .init()
    public var cors: CORS = .init()
    public var revocation: Revocation = .init()

    public init() {}

    /// Where the proxy listens.
    public struct Listen: Codable, Sendable, Equatable {
        public var host: String = "0.0.0.0"
        /// `0` picks a free port (tests).
        public var port: Int = 8443
        /// `v2`: every connection begins with a PROXY protocol v2 header from a TCP load balancer,
        /// whose client address is the consumer's; `none` (the default): no header is expected.
        public var proxyProtocol: String = "none"
        /// The load balancers allowed to send that header: addresses or CIDR blocks.
        public var proxyProtocolFrom: [String] = []
        public init() {}
    }

    /// The proxy's own certificate and the CA consumer certificates must chain to.
    public struct ServerTLS: Codable, Sendable, Equatable {
        /// PEM file: the server certificate, then its intermediates.
        public var certificate: String = "var/pki/proxy.pem"
        /// PEM file: the server certificate's private key.
        public var privateKey: String = "var/pki/proxy.key"
        /// PEM file: the CA (or CAs) consumer client certificates must chain to.
        public var clientCA: String = "var/pki/consumer-ca.pem"
        /// OpenSSL cipher list for TLS 1.2 (TLS 1.3 suites are all AEAD and always on).
        public var cipherSuites: String = TLSPolicy.cipherSuites
        public init() {}
    }

    /// What a consumer may send, and how long it may take.
    public struct Limits: Codable, Sendable, Equatable {
        public var maxHeaderFieldBytes: Int = 16 * 1024
        public var maxHeaderBytes: Int = 32 * 1024
        public var maxHeaderFields: Int = 100
        public var maxBodyBytes: Int = 10 * 1024 * 1024
        /// Time allowed for the TLS handshake.
        public var handshakeTimeoutMilliseconds: Int = 10_000
        /// Time allowed from the first byte of a request to the end of its headers.
        public var headerTimeoutMilliseconds: Int = 10_000
        /// Time a keep-alive connection may sit idle between requests.
        public var idleTimeoutMilliseconds: Int = 60_000
        /// Connections beyond this are closed as soon as they are accepted.
        public var maxConnections: Int = 10_000
        /// On SIGTERM, how long exchanges under way may take to finish before their connections
        /// are closed.
        public var shutdownGraceMilliseconds: Int = 10_000
        public init() {}
    }

    /// How the proxy talks to providers.
    public struct Upstream: Codable, Sendable, Equatable {
        /// PEM file of CAs provider certificates must chain to; empty for the system's roots.
        public var caBundle: String = ""
        /// PEM files of the proxy's own client certificate and key, for providers that require
        /// mutual TLS; empty for none.
        public var clientCertificate: String = ""
        public var clientPrivateKey: String = ""
        public var connectTimeoutMilliseconds: Int = 5_000
        /// Time allowed for the provider's response headers after the request is sent.
        public var responseTimeoutMilliseconds: Int = 30_000
        /// Time the provider may go silent while sending a body.
        public var readTimeoutMilliseconds: Int = 30_000
        public var maxConnectionsPerHost: Int = 64
        public var idleConnectionTimeoutMilliseconds: Int = 60_000
        /// `host=address` pairs: connect to `address` for `host` while still verifying the
        /// certificate as `host` (staging, tests, split-horizon DNS).
        public var resolve: [String] = []
        public init() {}
    }

    /// Which authorisation checks are on.
    public struct Checks: Codable, Sendable, Equatable {
        /// Refuse when the method and FHIR path do not fit the declared interaction.
        public var strictInteractionMatch: Bool = true
        /// Refuse when no sharing agreement allows the sender, receiver and interaction.
        public var enforceSharingAgreements: Bool = true
        /// How far a consumer's clock may be from ours when checking JWT `iat` and `exp`.
        public var jwtClockSkewSeconds: Int = 60
        /// Read a target of `/https:/host/…` (the `//` collapsed by clients that join URLs by
        /// RFC 3986 rules) as `/https://host/…`, and record it so; off refuses it as
        /// `INVALID_TARGET_URL_NOT_SSP_FORM`.
        public var acceptCollapsedTargetScheme: Bool = true
        public init() {}
    }

    /// Request-rate limits. A rate of `0` means no limit.
    public struct Throttle: Codable, Sendable, Equatable {
        public var consumerRequestsPerSecond: Double = 0
        public var consumerBurst: Double = 0
        public var providerRequestsPerSecond: Double = 0
        public var providerBurst: Double = 0
        /// Per-ASID limits, `ASID=RATE/BURST`, e.g. `200000000359=50/100`.
        public var consumerOverrides: [String] = []
        public var providerOverrides: [String] = []
        /// With a PostgreSQL store shared by several nodes, how often each node tells the others
        /// what it granted, so that each limit holds for the whole service.
        public var shareIntervalMilliseconds: Int = 200
        public init() {}
    }

    /// Browser origins whose CORS pre-flight requests are answered.
    public struct CORS: Codable, Sendable, Equatable {
        public var allowedOrigins: [String] = []
        public init() {}
    }

    /// Certificate revocation lists, checked for consumers' client certificates on every
    /// exchange and for providers' server certificates on every new connection.
    public struct Revocation: Codable, Sendable, Equatable {
        /// Where each CA's list is read from: file paths or `http://`/`https://` URLs, DER or PEM.
        /// Empty: revocation is not checked.
        public var crls: [String] = []
        /// `fail-closed`: a certificate whose issuer's list is past its `nextUpdate` (and could
        /// not be read again), or not read yet, is refused; `fail-open`: it is accepted, and the
        /// stale list is logged and shown by `switchboard_crl_stale`.
        public var whenStale: String = CertificateRevocation.WhenStale.failClosed.rawValue
        /// Each list is read again this often, and at its `nextUpdate` when that comes sooner.
        public var refreshIntervalMilliseconds: Int = 900_000
        public init() {}
    }
}
