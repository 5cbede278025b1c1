public import Foundation
import SwitchboardPKI

/// The certificates one integration test needs, written into its temporary folder: a consumer CA
/// with client certificates, the proxy's server certificate, and a provider CA with a server
/// certificate for `localhost`.
public struct TestPKI: Sendable {
    public struct Files: Sendable {
        public var certificate: String
        public var privateKey: String
    }

    public let folder: URL
    public let consumerCA: String
    public let providerCA: String
    public let proxy: Files
    public let provider: Files
    /// A client certificate for the sample consumer's registered FQDN.
    public let consumer: Files
    /// A client certificate from the consumer CA for another FQDN.
    public let otherConsumer: Files
    /// A client certificate from a CA the proxy does not trust.
    public let untrusted: Files
    /// The certificate of the CA that issued ``untrusted``.
    public let untrustedCA: String
    /// The management CA (distinct from the consumer CA) and role certificates it issued.
    public let managementCA: String
    public let adminCertificate: Files
    public let auditorCertificate: Files
    private let consumers: DevelopmentPKI
    private let consumerFQDN: String
    private let providers: DevelopmentPKI
    private let stranger: DevelopmentPKI
    public static let adminFQDN = "admin.switchboard.test"
    public static let auditorFQDN = "auditor.switchboard.test"

    public init(folder: URL, consumerFQDN: String = SampleDirectory.consumerFQDN) throws {
        self.folder = folder
        let consumers = try DevelopmentPKI(commonName: "Test consumer CA")
        let providers = try DevelopmentPKI(commonName: "Test provider CA")
        let stranger = try DevelopmentPKI(commonName: "Untrusted CA")
        self.providers = providers
        self.consumers = consumers
        self.consumerFQDN = consumerFQDN
        self.stranger = stranger
        consumerCA = try consumers.authority.write(to: folder, name: "consumer-ca").certificate
        providerCA = try providers.authority.write(to: folder, name: "provider-ca").certificate
        let proxyFiles = try consumers.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server)
            .write(to: folder, name: "proxy")
        proxy = Files(certificate: proxyFiles.certificate, privateKey: proxyFiles.privateKey)
        let providerFiles = try providers.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server)
            .write(to: folder, name: "provider")
        provider = Files(certificate: providerFiles.certificate, privateKey: providerFiles.privateKey)
        let consumerFiles = try consumers.issue(commonName: consumerFQDN, dnsNames: [consumerFQDN], usage: .client).write(to: folder, name: "consumer")
        consumer = Files(certificate: consumerFiles.certificate, privateKey: consumerFiles.privateKey)
        let otherFiles = try consumers.issue(commonName: "someone-else.thirdparty.nhs.uk", dnsNames: ["someone-else.thirdparty.nhs.uk"], usage: .client)
            .write(to: folder, name: "other-consumer")
        otherConsumer = Files(certificate: otherFiles.certificate, privateKey: otherFiles.privateKey)
        let strangerFiles = try stranger.issue(commonName: consumerFQDN, dnsNames: [consumerFQDN], usage: .client).write(to: folder, name: "untrusted")
        untrusted = Files(certificate: strangerFiles.certificate, privateKey: strangerFiles.privateKey)
        untrustedCA = try stranger.authority.write(to: folder, name: "untrusted-ca").certificate
        let management = try DevelopmentPKI(commonName: "Test management CA")
        managementCA = try management.authority.write(to: folder, name: "management-ca").certificate
        let admin = try management.issue(commonName: Self.adminFQDN, dnsNames: [Self.adminFQDN], usage: .client).write(to: folder, name: "admin")
        adminCertificate = Files(certificate: admin.certificate, privateKey: admin.privateKey)
        let auditor = try management.issue(commonName: Self.auditorFQDN, dnsNames: [Self.auditorFQDN], usage: .client).write(to: folder, name: "auditor")
        auditorCertificate = Files(certificate: auditor.certificate, privateKey: auditor.privateKey)
    }

    /// A new server certificate for the proxy (a new key, the same names and CA), as a renewal
    /// would bring; written beside the others under `name`.
    public func renewedProxyCertificate(name: String = "proxy-renewed") throws -> Files {
        let files = try consumers.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server)
            .write(to: folder, name: name)
        return Files(certificate: files.certificate, privateKey: files.privateKey)
    }

    /// What is wrong with a provider's server certificate.
    public enum ProviderCertificateFault: String, Sendable, CaseIterable {
        /// Issued by the provider CA, expired yesterday.
        case expired
        /// Issued by the provider CA for another host.
        case wrongHost
        /// Issued for `localhost` by a CA the proxy does not trust.
        case untrusted
    }

    /// A provider server certificate with `fault`, written beside the others.
    public func providerCertificate(_ fault: ProviderCertificateFault) throws -> Files {
        let issued = switch fault {
        case .expired:
            try providers.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server,
                                validFrom: Date().addingTimeInterval(-30 * 86_400), validFor: 29)
        case .wrongHost:
            try providers.issue(commonName: "gpconnect.other-supplier.thirdparty.nhs.uk", dnsNames: ["gpconnect.other-supplier.thirdparty.nhs.uk"],
                                usage: .server)
        case .untrusted:
            try stranger.issue(commonName: "localhost", dnsNames: ["localhost"], ipAddresses: ["127.0.0.1"], usage: .server)
        }
        let files = try issued.write(to: folder, name: "provider-\(fault.rawValue)")
        return Files(certificate: files.certificate, privateKey: files.privateKey)
    }

    /// What is wrong with a consumer's client certificate (issued for the sample consumer's FQDN).
    public enum ConsumerCertificateFault: String, Sendable, CaseIterable {
        /// Issued by the consumer CA, expired yesterday.
        case expired
        /// Issued by the consumer CA, valid from tomorrow.
        case notYetValid
        /// Issued by the consumer CA for server authentication only.
        case serverUsageOnly
    }

    /// A consumer client certificate with `fault`, written beside the others.
    public func consumerCertificate(_ fault: ConsumerCertificateFault) throws -> Files {
        let issued = switch fault {
        case .expired:
            try consumers.issue(commonName: consumerFQDN, dnsNames: [consumerFQDN], usage: .client,
                                validFrom: Date().addingTimeInterval(-30 * 86_400), validFor: 29)
        case .notYetValid:
            try consumers.issue(commonName: consumerFQDN, dnsNames: [consumerFQDN], usage: .client, validFrom: Date().addingTimeInterval(86_400))
        case .serverUsageOnly:
            try consumers.issue(commonName: consumerFQDN, dnsNames: [consumerFQDN], usage: .server)
        }
        let files = try issued.write(to: folder, name: "consumer-\(fault.rawValue)")
        return Files(certificate: files.certificate, privateKey: files.privateKey)
    }

    /// The CA whose revocation list is written.
    public enum Issuer: String, Sendable {
        case consumerCA = "consumer-ca"
        case providerCA = "provider-ca"
    }

    /// Writes `<issuer>.crl` (PEM): `issuer`'s revocation list naming the certificates of
    /// `revoked`, made at `thisUpdate` and due again at `nextUpdate`; a new file renamed over the
    /// old one, as a CA's publisher replaces it. Returns its path.
    @discardableResult
    public func writeRevocationList(_ issuer: Issuer, revoking revoked: [Files] = [], thisUpdate: Date = Date().addingTimeInterval(-60),
                                    nextUpdate: Date? = Date().addingTimeInterval(86_400)) throws -> String {
        let authority = issuer == .consumerCA ? consumers : providers
        let pem = try authority.revocationList(revokingCertificatesIn: revoked.map(\.certificate), thisUpdate: thisUpdate, nextUpdate: nextUpdate)
        let path = folder.appendingPathComponent("\(issuer.rawValue).crl").path
        try pem.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}
