import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardCore

/// A provider an upstream connection is made to: the host its certificate must name and the port.
struct ProviderOrigin: Hashable, Sendable {
    var host: String
    var port: Int

    /// Reads `host[:port]` (an IPv6 literal in brackets); the port is 443 unless given.
    init(authority: Substring) throws(UpstreamError) {
        var hostPart = authority
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw .invalidAuthority(String(authority)) }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let rest = authority[authority.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { throw .invalidAuthority(String(authority)) }
                portPart = rest.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            hostPart = authority[..<colon]
            portPart = authority[authority.index(after: colon)...]
        }
        guard !hostPart.isEmpty else { throw .invalidAuthority(String(authority)) }
        host = String(hostPart)
        if let portPart {
            guard let port = Int(portPart), (1...65_535).contains(port) else { throw .invalidAuthority(String(authority)) }
            self.port = port
        } else {
            port = 443
        }
    }

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Whether the host is an IP literal (sent without SNI; the certificate must name the address).
    var isIPAddress: Bool {
        (try? SocketAddress(ipAddress: host, port: port)) != nil
    }
}

/// A request as it goes to a provider: where, its head (with `Host` and its framing set), and
/// whether a body follows.
struct UpstreamRequest {
    var origin: ProviderOrigin
    var head: HTTPRequestHead
    var hasBody: Bool
}

/// Why a provider request failed. Timeouts map to `504`, everything else to `502`.
enum UpstreamError: Error, Equatable, CustomStringConvertible {
    case invalidAuthority(String)
    /// No connection within the connect timeout (attempts that failed sooner were repeated).
    case connectFailed(String)
    /// No response head within the response timeout.
    case responseTimeout
    /// The provider went silent for the read timeout while sending its body.
    case readTimeout
    /// The provider closed the connection before its answer was complete.
    case closedEarly
    /// The connection failed (TLS, framing, a reset).
    case connectionFailed(String)
    /// The upstream client has shut down.
    case shutDown
    /// The provider's certificate did not pass the revocation lists; nothing was sent.
    case certificateRefused(CertificateRevocation.Refusal)

    var isTimeout: Bool { self == .responseTimeout || self == .readTimeout }

    var description: String {
        switch self {
        case .invalidAuthority(let authority): "the provider address '\(authority)' has no usable host and port"
        case .connectFailed(let reason): "could not connect to the provider: \(reason)"
        case .responseTimeout: "the provider did not answer within the response timeout"
        case .readTimeout: "the provider went silent for the read timeout"
        case .closedEarly: "the provider closed the connection before its answer was complete"
        case .connectionFailed(let reason): "the provider connection failed: \(reason)"
        case .shutDown: "the upstream client has shut down"
        case .certificateRefused(.revoked(let date)): "the provider's certificate was revoked at \(Timestamp.rfc3339(date))"
        case .certificateRefused(.unknown(let reason)): "the provider certificate's revocation status is unknown: \(reason)"
        }
    }
}
