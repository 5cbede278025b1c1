import Foundation
import Crypto
import _CryptoExtras
public import SwitchboardCore

/// An Ed25519 key that signs audit checkpoints, read from a PEM file (PKCS #8) kept outside the
/// database; its public key is published as a PEM `PUBLIC KEY` file for whoever verifies.
public struct CheckpointKey: Sendable {
    private let privateKey: Curve25519.Signing.PrivateKey

    /// The raw public key, base64: how checkpoints name their signer.
    public var rawPublicKey: String { privateKey.publicKey.rawRepresentation.base64EncodedString() }
    /// ``AuditCheckpoint/keyID`` of this key.
    public var id: String { Self.id(ofRawKey: rawPublicKey) }

    init(_ privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    /// A new random key.
    public static func generate() -> CheckpointKey { CheckpointKey(Curve25519.Signing.PrivateKey()) }

    /// Reads the private key at `path`; `setting` names where the path came from in errors.
    public init(file path: String, setting: String) throws(ConfigurationError) {
        let text = try Self.read(path, setting: setting)
        guard text.contains("-----BEGIN PRIVATE KEY-----") else {
            throw ConfigurationError(setting: setting, message: "'\(path)' holds no unencrypted PEM private key (-----BEGIN PRIVATE KEY-----)")
        }
        guard let privateKey = try? Curve25519.Signing.PrivateKey(pemRepresentation: text) else {
            throw ConfigurationError(setting: setting, message: "'\(path)' holds a private key that is not Ed25519; make one with `switchboard audit checkpoint-key`")
        }
        self.privateKey = privateKey
    }

    /// The private key as PEM (PKCS #8), for a file only the service user can read.
    public func privateKeyPEM() -> String {
        privateKey.pemRepresentation + "\n"
    }

    /// The public key as PEM (`PUBLIC KEY`), to publish beside the configuration.
    public func publicKeyPEM() -> String {
        privateKey.publicKey.pemRepresentation + "\n"
    }

    func sign(_ statement: [UInt8]) throws -> String {
        try privateKey.signature(for: statement).base64EncodedString()
    }

    /// Reads an Ed25519 public key from a PEM `PUBLIC KEY` file: the raw key, base64.
    public static func publicKey(file path: String, setting: String) throws(ConfigurationError) -> String {
        let text = try read(path, setting: setting)
        guard text.contains("-----BEGIN PUBLIC KEY-----") else {
            throw ConfigurationError(setting: setting, message: "'\(path)' holds no PEM public key (-----BEGIN PUBLIC KEY-----)")
        }
        guard let ed25519 = try? Curve25519.Signing.PublicKey(pemRepresentation: text) else {
            throw ConfigurationError(setting: setting, message: "'\(path)' holds a public key that is not Ed25519; give the checkpoint key's public half")
        }
        return ed25519.rawRepresentation.base64EncodedString()
    }

    public static func id(ofRawKey key: String) -> String {
        let bytes = Data(base64Encoded: key) ?? Data(key.utf8)
        return "ed25519:" + SHA256.hash(data: bytes).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    static func isValid(signature: String, of statement: [UInt8], byRawKey key: String) -> Bool {
        guard let raw = Data(base64Encoded: key), let signature = Data(base64Encoded: signature),
              let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else { return false }
        return publicKey.isValidSignature(signature, for: statement)
    }

    private static func read(_ path: String, setting: String) throws(ConfigurationError) -> String {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ConfigurationError(setting: setting, message: "'\(path)' does not exist; make a key pair with `switchboard audit checkpoint-key`")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(setting: setting, message: "'\(path)' cannot be read (permission denied?): make it readable by the user Switchboard runs as")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
