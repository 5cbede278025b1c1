import Foundation
import SwiftASN1
import SwitchboardCore
import SwitchboardPKI
import SwitchboardProxy
import SwitchboardTesting
import Testing
import X509

/// Revocation lists read, checked against their issuer and applied, with a fixed clock; no
/// listener. `RevocationTests` (integration) checks both legs through `switchboard serve`.
@Suite struct RevocationListTests {
    static let now = Date(timeIntervalSince1970: 1_795_089_600)
    let authority: DevelopmentPKI
    let other: DevelopmentPKI
    let revoked: Certificate
    let kept: Certificate

    init() throws {
        authority = try DevelopmentPKI(commonName: "Spine test CA", now: Self.now)
        other = try DevelopmentPKI(commonName: "Another CA", now: Self.now)
        revoked = try authority.issue(commonName: "revoked.example.nhs.uk", usage: .client, validFrom: Self.now).certificate
        kept = try authority.issue(commonName: "kept.example.nhs.uk", usage: .client, validFrom: Self.now).certificate
    }

    func list(revoking: [Certificate], thisUpdate: Date = now.addingTimeInterval(-60), nextUpdate: Date? = now.addingTimeInterval(3600),
              by issuer: DevelopmentPKI? = nil) throws -> CertificateRevocationList {
        let pem = try (issuer ?? authority).revocationList(revoking: revoking, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        return try CertificateRevocationList(bytes: Array(pem.utf8))
    }

    @Test func aListReadsBackFromPEMAndDERWithItsIssuerDatesAndSerialNumbers() throws {
        let crl = try list(revoking: [revoked])
        #expect(crl.issuer == authority.authority.certificate.subject)
        #expect(crl.thisUpdate == Self.now.addingTimeInterval(-60))
        #expect(crl.nextUpdate == Self.now.addingTimeInterval(3600))
        #expect(crl.entries.map(\.serialNumber) == [revoked.serialNumber.bytes])
        #expect(crl.isSigned(by: authority.authority.certificate))
        let der = try PEMDocument(pemString: try authority.revocationList(revoking: [revoked], thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate)).derBytes
        let fromDER = try CertificateRevocationList(bytes: der)
        #expect(fromDER.entries == crl.entries && fromDER.issuer == crl.issuer)
        #expect(try list(revoking: []).entries.isEmpty)
    }

    @Test func aListFromAnotherCAOrWithAChangedByteIsNotSignedByTheIssuer() throws {
        let foreign = try list(revoking: [revoked], by: other)
        #expect(!foreign.isSigned(by: authority.authority.certificate))
        var tampered = try list(revoking: [revoked])
        var bytes = Array(tampered.signedBytes)
        bytes[bytes.count - 1] ^= 0x01
        tampered.signedBytes = bytes[...]
        #expect(!tampered.isSigned(by: authority.authority.certificate))
    }

    @Test func whatIsNotAListIsRefusedWithItsReason() throws {
        #expect(throws: CertificateRevocationListError.self) { try CertificateRevocationList(bytes: Array("not a list".utf8)) }
        let certificatePEM = try authority.authority.certificatePEM
        #expect {
            try CertificateRevocationList(bytes: Array(certificatePEM.utf8))
        } throws: { error in
            "\(error)".contains("CertificateList") || "\(error)".contains("X509 CRL")
        }
    }

    @Test func aCriticalExtensionTheReaderDoesNotApplyRefusesTheList() throws {
        // A delta-CRL indicator (2.5.29.27), critical: the list alone does not say what is revoked.
        let unsigned = try CertificateRevocationList.unsignedBytes(issuer: authority.authority.certificate.subject, thisUpdate: Self.now,
                                                                   nextUpdate: nil, entries: [], signatureAlgorithm: .ecdsaWithSHA256)
        var tbs = try DER.parse(unsigned)
        guard case .constructed(let fields) = tbs.content else { Issue.record("not constructed"); return }
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            for field in fields { coder.serialize(field) }
            try coder.appendConstructedNode(identifier: ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific)) { coder in
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    try coder.appendConstructedNode(identifier: .sequence) { coder in
                        try coder.serialize(ASN1ObjectIdentifier(arrayLiteral: 2, 5, 29, 27))
                        try coder.serialize(true)
                        try coder.serialize(ASN1OctetString(contentBytes: [0x02, 0x01, 0x01]))
                    }
                }
            }
        }
        tbs = try DER.parse(serializer.serializedBytes)
        let signature = try Certificate.PrivateKey(authority.authority.privateKey).sign(bytes: Array(tbs.encodedBytes), signatureAlgorithm: .ecdsaWithSHA256)
        let der = try CertificateRevocationList.signedDER(unsignedBytes: Array(tbs.encodedBytes), signatureAlgorithm: .ecdsaWithSHA256,
                                                         signature: signature.rawRepresentation)
        #expect {
            try CertificateRevocationList(bytes: der)
        } throws: { error in
            "\(error)".contains("critical extension 2.5.29.27")
        }
    }

    @Test func aRevokedSerialIsRefusedAndAnotherPasses() throws {
        let revocation = CertificateRevocation()
        #expect(revocation.check(IssuerAndSerialNumber(revoked), at: Self.now) == nil, "nothing configured: nothing checked")
        revocation.configure(sources: ["consumer-ca.crl"], whenStale: .failClosed)
        try revocation.install(try list(revoking: [revoked]), from: "consumer-ca.crl")
        #expect(revocation.check(IssuerAndSerialNumber(revoked), at: Self.now) == .revoked(at: Self.now.addingTimeInterval(-60)))
        #expect(revocation.check(IssuerAndSerialNumber(kept), at: Self.now) == nil)
        let stranger = try other.issue(commonName: "stranger.example.nhs.uk", usage: .client, validFrom: Self.now).certificate
        #expect(revocation.check(IssuerAndSerialNumber(stranger), at: Self.now) == nil, "every list read: a CA without one is not checked")
    }

    @Test(arguments: CertificateRevocation.WhenStale.allCases)
    func aStaleListFollowsThePolicy(_ policy: CertificateRevocation.WhenStale) throws {
        let revocation = CertificateRevocation()
        revocation.configure(sources: ["consumer-ca.crl"], whenStale: policy)
        let kept = IssuerAndSerialNumber(self.kept)
        #expect((revocation.check(kept, at: Self.now) == nil) == (policy == .failOpen), "a list not read yet")
        try revocation.install(try list(revoking: [revoked], nextUpdate: Self.now.addingTimeInterval(3600)), from: "consumer-ca.crl")
        #expect(revocation.check(kept, at: Self.now) == nil)
        let later = Self.now.addingTimeInterval(3601)
        if policy == .failClosed {
            guard case .unknown(let reason) = revocation.check(kept, at: later) else { Issue.record("a stale list must refuse"); return }
            #expect(reason.contains("consumer-ca.crl is past its nextUpdate \(Timestamp.rfc3339(Self.now.addingTimeInterval(3600)))"))
        } else {
            #expect(revocation.check(kept, at: later) == nil)
        }
        #expect(revocation.check(IssuerAndSerialNumber(revoked), at: later) != nil, "a revoked certificate stays revoked under either policy")
    }

    @Test func anOlderListDoesNotReplaceANewerOne() throws {
        let revocation = CertificateRevocation()
        revocation.configure(sources: ["consumer-ca.crl"], whenStale: .failClosed)
        try revocation.install(try list(revoking: [revoked]), from: "consumer-ca.crl")
        #expect(throws: CertificateRevocationListError.self) {
            try revocation.install(try list(revoking: [], thisUpdate: Self.now.addingTimeInterval(-7200)), from: "consumer-ca.crl")
        }
        #expect(revocation.check(IssuerAndSerialNumber(revoked), at: Self.now) != nil)
        // A newer list that no longer names it (the revocation was a mistake, undone by the CA).
        try revocation.install(try list(revoking: [], thisUpdate: Self.now), from: "consumer-ca.crl")
        #expect(revocation.check(IssuerAndSerialNumber(revoked), at: Self.now) == nil)
    }

    @Test func identifyRefusesARevokedClientCertificateWith495() throws {
        let revocation = CertificateRevocation()
        revocation.configure(sources: ["consumer-ca.crl"], whenStale: .failClosed)
        try revocation.install(try list(revoking: [revoked]), from: "consumer-ca.crl")
        let identify = IdentifyPhase(revocation: revocation, now: { Self.now })
        func identity(_ certificate: Certificate) -> ClientIdentity {
            ClientIdentity(address: "192.0.2.7", certificate: .init(subject: certificate.subject.description, fqdn: SampleDirectory.consumerFQDN,
                                                                    issuerAndSerialNumber: IssuerAndSerialNumber(certificate)))
        }
        var context = AdmissionPhaseTests.context(client: identity(revoked))
        #expect(throws: ProxyRefusal.clientCertificateRevoked) { try identify.run(&context) }
        #expect(ProxyRefusal.clientCertificateRevoked.status == 495)
        var good = AdmissionPhaseTests.context(client: identity(kept))
        try identify.run(&good)
        let stale = IdentifyPhase(revocation: revocation, now: { Self.now.addingTimeInterval(7200) })
        var late = AdmissionPhaseTests.context(client: identity(kept))
        #expect(throws: ProxyRefusal.clientCertificateRevocationUnknown) { try stale.run(&late) }
    }
}
