public import SwitchboardCore
import Foundation

/// The management listener: the admin and audit APIs, `/health`, `/ready`, `/metrics`.
public struct ManagementConfiguration: Codable, Sendable, Equatable {
    public var enabled: Bool = true
    /// Loopback by default: the management API belongs on a management network, never on the
    /// address consumers call.
    public var host: String = "127.0.0.1"
    public var port: Int = 9443
    /// PEM files of the management listener's own certificate and key.
    public var certificate: String = "var/pki/management.pem"
    public var privateKey: String = "var/pki/management.key"
    /// PEM CA(s) that management client certificates must chain to; empty to accept tokens only.
    /// Use a CA of its own, distinct from the consumer CA, so no consumer certificate can hold a role.
    public var clientCA: String = ""
    /// `fqdn=role` pairs: a client certificate for `fqdn` (SAN dNSName) acts as `admin` or `auditor`.
    public var certificateRoles: [String] = []
    /// The file holding management bearer tokens (hashes only); `switchboard tokens add` writes it.
    public var tokensFile: String = "var/management-tokens.json"
    /// Failed authentications a client address may make in a minute before it is refused `429`.
    public var maximumFailuresPerMinute: Int = 10
    /// The largest request body the admin API takes; larger is refused `413`.
    public var maximumBodyBytes: Int = 1 << 20

    public init() {}

    public func validate() throws(ConfigurationError) {
        guard (0...65535).contains(port) else { throw ConfigurationError(setting: "management.port", message: "\(port) must be between 0 and 65535") }
        guard (1...10_000).contains(maximumFailuresPerMinute) else {
            throw ConfigurationError(setting: "management.maximumFailuresPerMinute", message: "must be between 1 and 10000")
        }
        guard (1024...(64 << 20)).contains(maximumBodyBytes) else {
            throw ConfigurationError(setting: "management.maximumBodyBytes", message: "\(maximumBodyBytes) must be between 1024 and 67108864 (64 MiB)")
        }
        _ = try roles()
        if !certificateRoles.isEmpty && clientCA.isEmpty {
            throw ConfigurationError(setting: "management.clientCA", message: "certificateRoles need a clientCA to verify management certificates")
        }
    }

    /// The parsed `certificateRoles`.
    public func roles() throws(ConfigurationError) -> [String: String] {
        var result: [String: String] = [:]
        for entry in certificateRoles {
            let parts = entry.split(separator: "=")
            guard parts.count == 2, ["admin", "auditor"].contains(String(parts[1])), !parts[0].isEmpty else {
                throw ConfigurationError(setting: "management.certificateRoles", message: "'\(entry)' must be fqdn=admin or fqdn=auditor")
            }
            result[String(parts[0]).lowercased()] = String(parts[1])
        }
        return result
    }

    /// Checks that the listener's certificate and key files exist and hold what they should.
    public func checkFiles() throws(ConfigurationError) {
        try PEMFileCheck.check("management.certificate", certificate, holds: .certificates)
        try PEMFileCheck.check("management.privateKey", privateKey, holds: .privateKey)
        if !clientCA.isEmpty { try PEMFileCheck.check("management.clientCA", clientCA, holds: .certificates) }
    }
}
