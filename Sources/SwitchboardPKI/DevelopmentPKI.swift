public import Crypto
public import Foundation
public import X509
import SwiftASN1

/// A certificate and its private key, with their PEM forms.
public struct IssuedCertificate: Sendable {
    public let certificate: Certificate
    public let privateKey: P256.Signing.PrivateKey

    public var certificatePEM: String { get throws { try certificate.serializeAsPEM().pemString } }
    public var privateKeyPEM: String { privateKey.pemRepresentation }

    /// Writes `<name>.pem` and `<name>.key` into `folder` (the key readable by the owner only),
    /// each ending in a newline so that files joined with `cat` stay valid PEM.
    @discardableResult
    public func write(to folder: URL, name: String) throws -> (certificate: String, privateKey: String) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let certificatePath = folder.appendingPathComponent("\(name).pem").path
        let keyPath = folder.appendingPathComponent("\(name).key").path
        try Data((try certificatePEM + "\n").utf8).write(to: URL(fileURLWithPath: certificatePath))
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data((privateKeyPEM + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return (certificatePath, keyPath)
    }
}

/// A throwaway certificate authority for development, the demo and tests: ECDSA P-256 keys,
/// SHA-256 signatures, made in memory with swift-certificates (no external tool).
public struct DevelopmentPKI: Sendable {
    public let authority: IssuedCertificate

    /// What a certificate is for.
    public enum Usage: Sendable {
        case server, client, serverAndClient
    }

    /// Makes a new self-signed CA named `commonName`.
    public init(commonName: String, validFor days: Int = 825, now: Date = Date()) throws {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName {
            OrganizationName("Switchboard development")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600), notValidAfter: now.addingTimeInterval(Double(days) * 86_400),
            issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(key.publicKey))
            },
            issuerPrivateKey: .init(key))
        authority = IssuedCertificate(certificate: certificate, privateKey: key)
    }

    /// Issues a leaf certificate for `commonName`, with `dnsNames` (and `ipAddresses`) as
    /// subject alternative names.
    public func issue(
        commonName: String, dnsNames: [String] = [], ipAddresses: [String] = [], usage: Usage,
        validFrom: Date = Date().addingTimeInterval(-3600), validFor days: Int = 397
    ) throws -> IssuedCertificate {
        let key = P256.Signing.PrivateKey()
        var names: [GeneralName] = dnsNames.map { .dnsName($0) }
        for address in ipAddresses {
            var bytes = [UInt8](repeating: 0, count: 16)
            if inet_pton(AF_INET, address, &bytes) == 1 {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes.prefix(4)))))
            } else if inet_pton(AF_INET6, address, &bytes) == 1 {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
            }
        }
        let usages: [ExtendedKeyUsage.Usage] = switch usage {
        case .server: [.serverAuth]
        case .client: [.clientAuth]
        case .serverAndClient: [.serverAuth, .clientAuth]
        }
        let subject = try DistinguishedName {
            OrganizationName("Switchboard development")
            CommonName(commonName)
        }
        let certificate = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
            notValidBefore: validFrom, notValidAfter: validFrom.addingTimeInterval(Double(days) * 86_400),
            issuer: authority.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage(usages)
                if !names.isEmpty { SubjectAlternativeNames(names) }
                AuthorityKeyIdentifier(keyIdentifier: try authority.certificate.extensions.subjectKeyIdentifier?.keyIdentifier)
            },
            issuerPrivateKey: .init(authority.privateKey))
        return IssuedCertificate(certificate: certificate, privateKey: key)
    }

    /// A revocation list signed by this CA that revokes `revoked`, made at `thisUpdate` and due
    /// again at `nextUpdate`, as PEM (`X509 CRL`).
    public func revocationList(revoking revoked: [Certificate], thisUpdate: Date = Date().addingTimeInterval(-60),
                               nextUpdate: Date? = Date().addingTimeInterval(86_400)) throws -> String {
        let entries = revoked.map { CertificateRevocationList.Entry(serialNumber: $0.serialNumber.bytes, revocationDate: thisUpdate) }
        let unsigned = try CertificateRevocationList.unsignedBytes(issuer: authority.certificate.subject, thisUpdate: thisUpdate,
                                                                  nextUpdate: nextUpdate, entries: entries, signatureAlgorithm: .ecdsaWithSHA256)
        let signature = try Certificate.PrivateKey(authority.privateKey).sign(bytes: unsigned, signatureAlgorithm: .ecdsaWithSHA256)
        let der = try CertificateRevocationList.signedDER(unsignedBytes: unsigned, signatureAlgorithm: .ecdsaWithSHA256,
                                                         signature: signature.rawRepresentation)
        return CertificateRevocationList.pem(der: der)
    }

    /// ``revocationList(revoking:thisUpdate:nextUpdate:)`` for the certificates in PEM files.
    public func revocationList(revokingCertificatesIn files: [String], thisUpdate: Date = Date().addingTimeInterval(-60),
                               nextUpdate: Date? = Date().addingTimeInterval(86_400)) throws -> String {
        let certificates = try files.map { try Certificate(pemEncoded: String(contentsOfFile: $0, encoding: .utf8)) }
        return try revocationList(revoking: certificates, thisUpdate: thisUpdate, nextUpdate: nextUpdate)
    }
}
