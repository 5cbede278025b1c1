public import AsyncHTTPClient
import Foundation
public import NIOCore
import NIOSSL

/// The pooled HTTPS client that carries requests to providers: keep-alive connections per host,
/// TLS 1.2+ verified against the configured CA (with the proxy's own certificate when providers
/// require mutual TLS), no redirects followed, no decompression, no retries of sent requests
/// (only connection establishment is retried, inside the connect timeout).
public final class UpstreamClient: Sendable {
    public let client: HTTPClient
    public let responseTimeout: TimeAmount

    public init(configuration: ProxyConfiguration.Upstream, eventLoopGroup: any EventLoopGroup) throws {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.certificateVerification = .fullVerification
        if !configuration.caBundle.isEmpty {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(configuration.caBundle))
        }
        if !configuration.clientCertificate.isEmpty {
            tls.certificateChain = try NIOSSLCertificate.fromPEMFile(configuration.clientCertificate).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: configuration.clientPrivateKey, format: .pem))
        }
        var clientConfiguration = HTTPClient.Configuration(
            tlsConfiguration: tls,
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.connectTimeoutMilliseconds)),
                           read: .milliseconds(Int64(configuration.readTimeoutMilliseconds))),
            connectionPool: .init(idleTimeout: .milliseconds(Int64(configuration.idleConnectionTimeoutMilliseconds)),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxConnectionsPerHost),
            proxy: nil,
            ignoreUncleanSSLShutdown: false,
            decompression: .disabled
        )
        clientConfiguration.httpVersion = .http1Only
        clientConfiguration.dnsOverride = try Self.parseResolve(configuration.resolve)
        client = HTTPClient(eventLoopGroupProvider: .shared(eventLoopGroup), configuration: clientConfiguration)
        responseTimeout = .milliseconds(Int64(configuration.responseTimeoutMilliseconds))
    }

    /// Parses `host=address` pairs.
    static func parseResolve(_ pairs: [String]) throws -> [String: String] {
        var result: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw UpstreamConfigurationError(message: "proxy.upstream.resolve entry '\(pair)' must be host=address")
            }
            result[String(parts[0])] = String(parts[1])
        }
        return result
    }

    public func shutdown() async throws {
        try await client.shutdown()
    }
}

struct UpstreamConfigurationError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
