public import Foundation
import SwiftASN1
public import X509

/// An X.509 certificate revocation list (RFC 5280 §5), as a CA publishes it: who issued it,
/// when it was made and when the next is due, and the serial numbers it revokes. It is read from
/// DER or PEM, and written to DER so that tests and tools can issue one.
public struct CertificateRevocationList: Sendable, Hashable {
    /// One revoked certificate.
    public struct Entry: Sendable, Hashable {
        /// The serial number's DER content bytes (big-endian, as in the certificate).
        public var serialNumber: ArraySlice<UInt8>
        public var revocationDate: Date

        public init(serialNumber: ArraySlice<UInt8>, revocationDate: Date) {
            self.serialNumber = serialNumber
            self.revocationDate = revocationDate
        }
    }

    public var issuer: DistinguishedName
    public var thisUpdate: Date
    /// When the issuer promises the next list; a list past it is stale.
    public var nextUpdate: Date?
    public var entries: [Entry]
    public var signatureAlgorithm: Certificate.SignatureAlgorithm
    /// The DER encoding of `tbsCertList`, which the signature covers.
    public var signedBytes: ArraySlice<UInt8>
    public var signature: [UInt8]

    /// Whether the CA certificate `issuer` signed this list.
    public func isSigned(by issuer: Certificate) -> Bool {
        issuer.subject == self.issuer && issuer.publicKey.isValidSignature(signature, for: signedBytes, signatureAlgorithm: signatureAlgorithm)
    }

    /// The serial numbers revoked, for lookups.
    public var revokedSerialNumbers: [ArraySlice<UInt8>: Date] {
        Dictionary(entries.map { ($0.serialNumber, $0.revocationDate) }) { first, _ in first }
    }
}

/// Why a revocation list could not be read.
public struct CertificateRevocationListError: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    public init(reason: String) {
        self.reason = reason
    }
}

// MARK: Reading

extension CertificateRevocationList {
    private static let pemLabel = "X509 CRL"

    /// Reads a list from a file's bytes: DER, or one PEM `X509 CRL` block.
    public init(bytes: [UInt8]) throws(CertificateRevocationListError) {
        var der = bytes
        if let text = String(validating: bytes, as: UTF8.self), text.contains("-----BEGIN \(Self.pemLabel)-----") {
            do {
                let document = try PEMDocument(pemString: text.trimmingCharacters(in: .whitespacesAndNewlines))
                guard document.discriminator == Self.pemLabel else {
                    throw CertificateRevocationListError(reason: "the PEM block is '\(document.discriminator)', not '\(Self.pemLabel)'")
                }
                der = document.derBytes
            } catch let error as CertificateRevocationListError {
                throw error
            } catch {
                throw CertificateRevocationListError(reason: "the PEM block cannot be read: \(error)")
            }
        }
        do {
            try self.init(der: der)
        } catch let error as CertificateRevocationListError {
            throw error
        } catch {
            throw CertificateRevocationListError(reason: "not a DER CertificateList: \(error)")
        }
    }

    private init(der: [UInt8]) throws {
        let root = try DER.parse(der)
        let parts = try Self.children(of: root, "CertificateList")
        guard parts.count == 3 else { throw CertificateRevocationListError(reason: "a CertificateList has three parts, this one \(parts.count)") }
        let outerAlgorithm = try Self.signatureAlgorithm(parts[1])
        let signatureBits = try ASN1BitString(derEncoded: parts[2])

        var fields = try Self.children(of: parts[0], "TBSCertList")[...]
        if let first = fields.first, first.identifier == .integer {
            guard try Int(derEncoded: first) == 1 else { throw CertificateRevocationListError(reason: "only version 2 lists are supported") }
            fields = fields.dropFirst()
        }
        guard fields.count >= 3 else { throw CertificateRevocationListError(reason: "TBSCertList is missing its signature, issuer or thisUpdate") }
        let innerAlgorithm = try Self.signatureAlgorithm(fields.removeFirst())
        guard innerAlgorithm == outerAlgorithm else {
            throw CertificateRevocationListError(reason: "the signature algorithm inside the list differs from the one outside")
        }
        issuer = try DistinguishedName(derEncoded: fields.removeFirst())
        thisUpdate = try Self.time(fields.removeFirst())
        if let next = fields.first, next.identifier == .utcTime || next.identifier == .generalizedTime {
            nextUpdate = try Self.time(next)
            fields = fields.dropFirst()
        }
        entries = []
        if let revoked = fields.first, revoked.identifier == .sequence {
            for node in try Self.children(of: revoked, "revokedCertificates") {
                let entry = try Self.children(of: node, "a revoked certificate")
                guard entry.count >= 2 else { throw CertificateRevocationListError(reason: "a revoked certificate lacks its serial number or date") }
                if entry.count > 2 { try Self.checkExtensions(entry[2], of: "a revoked certificate", understood: Self.entryExtensionsUnderstood) }
                entries.append(Entry(serialNumber: try ArraySlice<UInt8>(derEncoded: entry[0]), revocationDate: try Self.time(entry[1])))
            }
            fields = fields.dropFirst()
        }
        if let extensions = fields.first {
            guard extensions.identifier == ASN1Identifier(tagWithNumber: 0, tagClass: .contextSpecific) else {
                throw CertificateRevocationListError(reason: "TBSCertList has an unexpected field \(extensions.identifier)")
            }
            let inner = try Self.children(of: extensions, "crlExtensions")
            guard inner.count == 1 else { throw CertificateRevocationListError(reason: "crlExtensions holds \(inner.count) elements") }
            try Self.checkExtensions(inner[0], of: "the list", understood: Self.listExtensionsUnderstood)
            fields = fields.dropFirst()
        }
        guard fields.isEmpty else { throw CertificateRevocationListError(reason: "TBSCertList has fields after its extensions") }
        signatureAlgorithm = outerAlgorithm
        signedBytes = parts[0].encodedBytes
        signature = Array(signatureBits.bytes)
    }

    /// CRL number and authority key identifier: informative, never critical.
    private static let listExtensionsUnderstood: Set<ASN1ObjectIdentifier> = [[2, 5, 29, 20], [2, 5, 29, 35]]
    /// Reason code and invalidity date.
    private static let entryExtensionsUnderstood: Set<ASN1ObjectIdentifier> = [[2, 5, 29, 21], [2, 5, 29, 24]]

    /// A critical extension this reader does not apply (a delta list, a partitioned list, an
    /// indirect list) would change what the list means, so the list is refused (RFC 5280 §5.2).
    private static func checkExtensions(_ node: ASN1Node, of owner: String, understood: Set<ASN1ObjectIdentifier>) throws {
        for extensionNode in try children(of: node, "the extensions of \(owner)") {
            let parts = try children(of: extensionNode, "an extension")
            guard parts.count >= 2 else { throw CertificateRevocationListError(reason: "an extension of \(owner) is incomplete") }
            let oid = try ASN1ObjectIdentifier(derEncoded: parts[0])
            let critical = parts.count == 3 ? try Bool(derEncoded: parts[1]) : false
            if critical && !understood.contains(oid) {
                throw CertificateRevocationListError(reason: "\(owner) has the critical extension \(oid), which Switchboard does not apply")
            }
        }
    }

    private static func children(of node: ASN1Node, _ name: String) throws -> [ASN1Node] {
        guard case .constructed(let nodes) = node.content else {
            throw CertificateRevocationListError(reason: "\(name) is not a constructed value")
        }
        return Array(nodes)
    }

    private static func signatureAlgorithm(_ node: ASN1Node) throws -> Certificate.SignatureAlgorithm {
        let parts = try children(of: node, "AlgorithmIdentifier")
        guard let first = parts.first else { throw CertificateRevocationListError(reason: "an AlgorithmIdentifier is empty") }
        let oid = try ASN1ObjectIdentifier(derEncoded: first)
        guard let algorithm = SignatureAlgorithms.byIdentifier[oid] else {
            throw CertificateRevocationListError(reason: "the signature algorithm \(oid) is not supported")
        }
        return algorithm
    }

    private static func time(_ node: ASN1Node) throws -> Date {
        var components = DateComponents(timeZone: TimeZone(identifier: "UTC"))
        switch node.identifier {
        case .utcTime:
            let time = try UTCTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        case .generalizedTime:
            let time = try GeneralizedTime(derEncoded: node)
            (components.year, components.month, components.day) = (time.year, time.month, time.day)
            (components.hour, components.minute, components.second) = (time.hours, time.minutes, time.seconds)
        default:
            throw CertificateRevocationListError(reason: "a time is neither UTCTime nor GeneralizedTime")
        }
        guard let date = SignatureAlgorithms.utc.date(from: components) else {
            throw CertificateRevocationListError(reason: "a time is not a calendar date")
        }
        return date
    }
}

// MARK: Writing

extension CertificateRevocationList {
    /// The `tbsCertList` DER for a new list, which the issuer then signs with `signatureAlgorithm`.
    public static func unsignedBytes(issuer: DistinguishedName, thisUpdate: Date, nextUpdate: Date?, entries: [Entry],
                                     signatureAlgorithm: Certificate.SignatureAlgorithm) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(1)
            try serializeAlgorithm(signatureAlgorithm, into: &coder)
            try coder.serialize(issuer)
            try serializeTime(thisUpdate, into: &coder)
            if let nextUpdate { try serializeTime(nextUpdate, into: &coder) }
            if !entries.isEmpty {
                try coder.appendConstructedNode(identifier: .sequence) { coder in
                    for entry in entries {
                        try coder.appendConstructedNode(identifier: .sequence) { coder in
                            try coder.serialize(entry.serialNumber)
                            try serializeTime(entry.revocationDate, into: &coder)
                        }
                    }
                }
            }
        }
        return serializer.serializedBytes
    }

    /// The whole list's DER: `tbsCertList`, the algorithm and `signature` (the issuer's signature
    /// over `unsignedBytes`).
    public static func signedDER(unsignedBytes: [UInt8], signatureAlgorithm: Certificate.SignatureAlgorithm, signature: [UInt8]) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.appendConstructedNode(identifier: .sequence) { coder in
            coder.serializeRawBytes(unsignedBytes)
            try serializeAlgorithm(signatureAlgorithm, into: &coder)
            try coder.serialize(ASN1BitString(bytes: signature[...]))
        }
        return serializer.serializedBytes
    }

    /// `der` as a PEM `X509 CRL` block.
    public static func pem(der: [UInt8]) -> String {
        PEMDocument(type: pemLabel, derBytes: der).pemString + "\n"
    }

    private static func serializeAlgorithm(_ algorithm: Certificate.SignatureAlgorithm, into coder: inout DER.Serializer) throws {
        guard let oid = SignatureAlgorithms.byIdentifier.first(where: { $0.value == algorithm })?.key else {
            throw CertificateRevocationListError(reason: "the signature algorithm \(algorithm) is not supported")
        }
        try coder.appendConstructedNode(identifier: .sequence) { coder in
            try coder.serialize(oid)
            // RSA algorithm identifiers carry NULL parameters; ECDSA and Ed25519 ones none.
            if oid.description.hasPrefix("1.2.840.113549") { try coder.serialize(ASN1Null()) }
        }
    }

    /// UTCTime through 2049, GeneralizedTime after (RFC 5280 §5.1.2.4).
    private static func serializeTime(_ date: Date, into coder: inout DER.Serializer) throws {
        let parts = SignatureAlgorithms.utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let (year, month, day) = (parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        let (hour, minute, second) = (parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0)
        if year < 2050 {
            try coder.serialize(UTCTime(year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second))
        } else {
            try coder.serialize(GeneralizedTime(year: year, month: month, day: day, hours: hour, minutes: minute, seconds: second, fractionalSeconds: 0))
        }
    }
}

private enum SignatureAlgorithms {
    static let byIdentifier: [ASN1ObjectIdentifier: Certificate.SignatureAlgorithm] = [
        [1, 2, 840, 10045, 4, 3, 2]: .ecdsaWithSHA256,
        [1, 2, 840, 10045, 4, 3, 3]: .ecdsaWithSHA384,
        [1, 2, 840, 10045, 4, 3, 4]: .ecdsaWithSHA512,
        [1, 2, 840, 113549, 1, 1, 11]: .sha256WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 12]: .sha384WithRSAEncryption,
        [1, 2, 840, 113549, 1, 1, 13]: .sha512WithRSAEncryption,
        [1, 3, 101, 112]: .ed25519,
    ]

    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()
}
