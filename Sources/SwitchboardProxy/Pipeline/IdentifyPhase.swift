public import Foundation
import NIOHTTP1
import SwitchboardAudit
import SwitchboardDirectory
import SwitchboardCore
/// Identify: a client certificate must have been presented, and as soon as a well-formed
/// `Ssp-From` is read, the certificate's FQDN must be the one registered for that ASID.
/// A certificate its issuer's revocation list names is refused first (`495`), as is one whose
/// status cannot be known when the policy is `fail-closed`.
public struct IdentifyPhase: Sendable {
    let revocation: CertificateRevocation
    let now: @Sendable () -> Date

    public init(revocation: CertificateRevocation = CertificateRevocation(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.revocation = revocation
        self.now = now
    }

    public func run(_ context: inout ExchangeContext) throws(ProxyRefusal) {
        guard let certificate = context.client.certificate else { throw .clientCertificateRequired }
        if let serial = certificate.issuerAndSerialNumber, let refusal = revocation.check(serial, at: now()) {
            switch refusal {
            case .revoked: throw .clientCertificateRevoked
            case .unknown: throw .clientCertificateRevocationUnknown
            }
        }
        let values = context.head.headers[SSPHeaders.from]
        guard values.count == 1, let from = try? SSPHeaders.sender(context.head.headers) else { return }
        context.record.fromASID = from
        guard let sender = context.snapshot.routableSystem(from) else { return }
        context.sender = sender
        context.record.fromODS = sender.system.ods
        guard let registered = sender.system.certificateFQDN, let presented = certificate.fqdn,
              ASCII.equalIgnoringCase(registered, presented)
        else { throw .certificateMismatch(from: from) }
    }
}
