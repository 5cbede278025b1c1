import Foundation
import NIOSSL

/// Checks, before any listener starts, that a certificate or key file named by a setting exists,
/// can be read and holds what the setting says — so a bad file stops start-up with the setting's
/// name and what to do, not with a TLS library's error.
public enum PEMFileCheck {
    public enum Kind: Sendable {
        case certificates
        case privateKey
    }

    public static func check(_ setting: String, _ path: String, holds kind: Kind) throws(ConfigurationError) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ConfigurationError(setting: setting, message: "cannot read '\(path)': no such file; point \(setting) at the PEM file, or run `switchboard demo` for development certificates")
        }
        guard !isFolder.boolValue else { throw ConfigurationError(setting: setting, message: "'\(path)' is a folder, not a PEM file") }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigurationError(setting: setting, message: "cannot read '\(path)': permission denied; make it readable by the user Switchboard runs as")
        }
        switch kind {
        case .certificates:
            guard let certificates = try? NIOSSLCertificate.fromPEMFile(path), !certificates.isEmpty else {
                throw ConfigurationError(setting: setting, message: "'\(path)' holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
            }
            let now = Date()
            if let expiry = certificates.first.flatMap({ Date(timeIntervalSince1970: TimeInterval($0.notValidAfter)) }), expiry < now {
                throw ConfigurationError(setting: setting, message: "the certificate in '\(path)' expired at \(Timestamp.rfc3339(expiry)); renew it")
            }
        case .privateKey:
            guard (try? NIOSSLPrivateKey(file: path, format: .pem)) != nil else {
                throw ConfigurationError(setting: setting, message: "'\(path)' holds no unencrypted PEM private key")
            }
        }
    }
}
