import Synchronization
import SwiftASN1
import X509

/// What routing needs from a client certificate (its subject and FQDN), read once per distinct
/// certificate: consumers present the same certificate on every connection, and parsing it was a
/// noticeable part of each new connection's cost.
final class CertificateIdentities: Sendable {
    static let shared = CertificateIdentities(capacity: 4096)

    private let capacity: Int
    private let known: Mutex<[[UInt8]: ClientIdentity.Certificate?]>

    init(capacity: Int) {
        self.capacity = capacity
        known = Mutex([:])
    }

    /// The identity of the certificate whose DER encoding is `der`; nil if it cannot be read.
    func identity(der: [UInt8]) -> ClientIdentity.Certificate? {
        if let cached = known.withLock({ $0[der] }) { return cached }
        let identity = Self.read(der: der)
        known.withLock { known in
            if known.count >= capacity { known.removeAll(keepingCapacity: true) }
            known[der] = identity
        }
        return identity
    }

    static func read(der: [UInt8]) -> ClientIdentity.Certificate? {
        guard let certificate = try? Certificate(derEncoded: der) else { return nil }
        var fqdn: String?
        if let names = try? certificate.extensions.subjectAlternativeNames {
            for name in names {
                if case .dnsName(let dns) = name { fqdn = dns; break }
            }
        }
        if fqdn == nil {
            for rdn in certificate.subject {
                for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                    fqdn = String(describing: attribute.value)
                }
            }
        }
        return .init(subject: certificate.subject.description, fqdn: fqdn, issuerAndSerialNumber: IssuerAndSerialNumber(certificate))
    }
}
