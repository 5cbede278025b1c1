public import Foundation
import NIOSSL
import Synchronization
import SwitchboardAdmin
import SwitchboardProxy

/// When the certificates this node presents and trusts stop being valid, read at start and again
/// by each applied reload, for `switchboard_certificate_expiry_timestamp_seconds` (an alert well
/// before a renewal is due). For a file of several certificates (a CA bundle, a chain) the
/// earliest expiry counts.
public final class CertificateExpiries: Sendable {
    private let expiries = Mutex<[String: Date]>([:])

    init(configuration: SwitchboardConfiguration) {
        update(from: configuration)
    }

    /// Each named certificate file's earliest expiry, by the `certificate` label it is shown under.
    public var all: [String: Date] { expiries.withLock { $0 } }

    func update(from configuration: SwitchboardConfiguration) {
        var files = [
            "proxy": configuration.proxy.tls.certificate,
            "consumer-ca": configuration.proxy.tls.clientCA,
            "provider-ca": configuration.proxy.upstream.caBundle,
            "upstream-client": configuration.proxy.upstream.clientCertificate,
        ]
        if configuration.management.enabled {
            files["management"] = configuration.management.certificate
            files["management-ca"] = configuration.management.clientCA
        }
        let found = files.compactMapValues { path -> Date? in
            guard !path.isEmpty, let certificates = try? NIOSSLCertificate.fromPEMFile(path) else { return nil }
            return certificates.map { Date(timeIntervalSince1970: TimeInterval($0.notValidAfter)) }.min()
        }
        expiries.withLock { $0 = found }
    }
}
