import Foundation
public import SwitchboardCore

extension ProxyConfiguration {
    /// Checks ranges and formats; files are checked before `serve` opens anything (``checkFiles()``).
    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(listen.port) else {
            throw ConfigurationError(setting: "proxy.listen.port", message: "\(listen.port) must be between 0 and 65535")
        }
        func positive(_ value: Int, _ setting: String, max: Int = Int.max) throws(ConfigurationError) {
            guard value > 0, value <= max else { throw ConfigurationError(setting: setting, message: "\(value) must be between 1 and \(max)") }
        }
        switch listen.proxyProtocol {
        case "none":
            break
        case "v2":
            guard !listen.proxyProtocolFrom.isEmpty else {
                throw ConfigurationError(setting: "proxy.listen.proxyProtocolFrom",
                                         message: "name the load balancers allowed to send PROXY headers (addresses or CIDR blocks) when proxyProtocol is v2")
            }
            _ = try balancerAddresses()
        default:
            throw ConfigurationError(setting: "proxy.listen.proxyProtocol", message: "'\(listen.proxyProtocol)' must be none or v2 (PROXY protocol version 2 from a load balancer)")
        }
        guard (0...256).contains(eventLoopThreads) else {
            throw ConfigurationError(setting: "proxy.eventLoopThreads", message: "\(eventLoopThreads) must be between 0 (one per core) and 256")
        }
        try positive(limits.maxHeaderFieldBytes, "proxy.limits.maxHeaderFieldBytes", max: 1 << 20)
        try positive(limits.maxHeaderBytes, "proxy.limits.maxHeaderBytes", max: 1 << 20)
        try positive(limits.maxHeaderFields, "proxy.limits.maxHeaderFields", max: 10_000)
        try positive(limits.maxBodyBytes, "proxy.limits.maxBodyBytes")
        try positive(limits.handshakeTimeoutMilliseconds, "proxy.limits.handshakeTimeoutMilliseconds")
        try positive(limits.headerTimeoutMilliseconds, "proxy.limits.headerTimeoutMilliseconds")
        try positive(limits.idleTimeoutMilliseconds, "proxy.limits.idleTimeoutMilliseconds")
        try positive(limits.maxConnections, "proxy.limits.maxConnections")
        try positive(upstream.connectTimeoutMilliseconds, "proxy.upstream.connectTimeoutMilliseconds")
        try positive(upstream.responseTimeoutMilliseconds, "proxy.upstream.responseTimeoutMilliseconds")
        try positive(upstream.readTimeoutMilliseconds, "proxy.upstream.readTimeoutMilliseconds")
        try positive(upstream.maxConnectionsPerHost, "proxy.upstream.maxConnectionsPerHost", max: 10_000)
        try positive(upstream.idleConnectionTimeoutMilliseconds, "proxy.upstream.idleConnectionTimeoutMilliseconds")
        guard (0...3600).contains(checks.jwtClockSkewSeconds) else {
            throw ConfigurationError(setting: "proxy.checks.jwtClockSkewSeconds", message: "\(checks.jwtClockSkewSeconds) must be between 0 and 3600")
        }
        // GP Connect and NCSC: forward secrecy and AEAD only; no CBC, RSA key exchange or DHE.
        let suites = tls.cipherSuites.split(separator: ":")
        guard !suites.isEmpty else { throw ConfigurationError(setting: "proxy.tls.cipherSuites", message: "name at least one cipher suite") }
        for suite in suites where !(suite.hasPrefix("ECDHE-") && (suite.contains("-GCM-") || suite.hasSuffix("-CHACHA20-POLY1305"))) {
            throw ConfigurationError(setting: "proxy.tls.cipherSuites",
                                     message: "'\(suite)' is not an ECDHE suite with AES-GCM or ChaCha20-Poly1305; weaker suites are not allowed")
        }
        if upstream.clientCertificate.isEmpty != upstream.clientPrivateKey.isEmpty {
            throw ConfigurationError(setting: "proxy.upstream.clientPrivateKey", message: "set both clientCertificate and clientPrivateKey, or neither")
        }
        _ = try upstream.resolvedAddresses()
        for (rate, burst, setting) in [(throttle.consumerRequestsPerSecond, throttle.consumerBurst, "proxy.throttle.consumerRequestsPerSecond"),
                                       (throttle.providerRequestsPerSecond, throttle.providerBurst, "proxy.throttle.providerRequestsPerSecond")] {
            guard rate >= 0, burst >= 0 else { throw ConfigurationError(setting: setting, message: "rates and bursts must not be negative") }
        }
        try positive(throttle.shareIntervalMilliseconds, "proxy.throttle.shareIntervalMilliseconds", max: 60_000)
        _ = try throttleOverrides(throttle.consumerOverrides, setting: "proxy.throttle.consumerOverrides")
        _ = try throttleOverrides(throttle.providerOverrides, setting: "proxy.throttle.providerOverrides")
        guard CertificateRevocation.WhenStale(rawValue: revocation.whenStale) != nil else {
            throw ConfigurationError(setting: "proxy.revocation.whenStale", message: "'\(revocation.whenStale)' must be fail-closed or fail-open")
        }
        try positive(revocation.refreshIntervalMilliseconds, "proxy.revocation.refreshIntervalMilliseconds")
        for source in revocation.crls where source.isEmpty || source.hasPrefix("ldap:") {
            throw ConfigurationError(setting: "proxy.revocation.crls", message: "'\(source)' must be a file path or an http:// or https:// URL")
        }
        for origin in cors.allowedOrigins where !(origin.hasPrefix("https://") || origin.hasPrefix("http://")) || origin.hasSuffix("/") {
            throw ConfigurationError(setting: "proxy.cors.allowedOrigins", message: "'\(origin)' must be an origin such as https://app.example.nhs.uk")
        }
    }

    /// Parses `ASID=RATE/BURST` entries.
    public func throttleOverrides(_ entries: [String], setting: String) throws(ConfigurationError) -> [ASID: RateLimiter.Limit] {
        var result: [ASID: RateLimiter.Limit] = [:]
        for entry in entries {
            let parts = entry.split(separator: "=")
            let numbers = parts.count == 2 ? parts[1].split(separator: "/") : []
            guard parts.count == 2, let asid = ASID(parts[0]), numbers.count == 2, let rate = Double(numbers[0]), let burst = Double(numbers[1]),
                  rate > 0, burst >= 1
            else { throw ConfigurationError(setting: setting, message: "'\(entry)' must be ASID=RATE/BURST, e.g. 200000000359=50/100") }
            result[asid] = RateLimiter.Limit(rate: rate, burst: burst)
        }
        return result
    }

    /// Checks that every certificate and key file the proxy needs exists and holds what it should.
    public func checkFiles() throws(ConfigurationError) {
        try PEMFileCheck.check("proxy.tls.certificate", tls.certificate, holds: .certificates)
        try PEMFileCheck.check("proxy.tls.privateKey", tls.privateKey, holds: .privateKey)
        try PEMFileCheck.check("proxy.tls.clientCA", tls.clientCA, holds: .certificates)
        if !upstream.caBundle.isEmpty { try PEMFileCheck.check("proxy.upstream.caBundle", upstream.caBundle, holds: .certificates) }
        if !upstream.clientCertificate.isEmpty {
            try PEMFileCheck.check("proxy.upstream.clientCertificate", upstream.clientCertificate, holds: .certificates)
            try PEMFileCheck.check("proxy.upstream.clientPrivateKey", upstream.clientPrivateKey, holds: .privateKey)
        }
    }
}

extension ProxyConfiguration.Upstream {
    /// The `resolve` entries, `host=address`, as host → address.
    public func resolvedAddresses() throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        for entry in resolve {
            let parts = entry.split(separator: "=")
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ConfigurationError(setting: "proxy.upstream.resolve", message: "'\(entry)' must be host=address")
            }
            result[String(parts[0])] = String(parts[1])
        }
        return result
    }
}

extension ProxyConfiguration {
    /// `proxy.listen.proxyProtocolFrom`, read.
    func balancerAddresses() throws(ConfigurationError) -> BalancerAddresses {
        do {
            return try BalancerAddresses(listen.proxyProtocolFrom)
        } catch {
            throw ConfigurationError(setting: "proxy.listen.proxyProtocolFrom",
                                     message: "'\(error.entry)' is not an IP address or CIDR block such as 10.0.0.0/24")
        }
    }
}
