import Crypto
import Foundation
public import SwitchboardCore

/// The key of the NHS number look-ups: a record keeps HMAC-SHA-256 of the NHS number its request
/// named, never the number, so an auditor with the key can find a patient's exchanges and
/// someone with only the database cannot read or guess-and-check them. Every node of a
/// deployment uses the same key (`audit.nhsNumberKey`), kept outside the database.
public struct NHSNumberKey: Sendable {
    private let key: SymmetricKey

    /// Bytes of randomness a key file holds.
    public static let byteCount = 32

    /// Reads the key file at `path`: 32 or more random bytes, base64 (what
    /// `switchboard audit nhs-number-key` writes).
    public init(file path: String, setting: String) throws(ConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(setting: setting, message: "cannot read '\(path)': no such file, or permission denied; make one with `switchboard audit nhs-number-key`")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let bytes = Data(base64Encoded: text), bytes.count >= Self.byteCount else {
            throw ConfigurationError(setting: setting, message: "'\(path)' does not hold a base64 key of at least \(Self.byteCount) bytes; make one with `switchboard audit nhs-number-key`")
        }
        key = SymmetricKey(data: bytes)
    }

    init(key: SymmetricKey) {
        self.key = key
    }

    /// A new key as its file holds it (base64 and a newline).
    public static func generateFileContents() -> String {
        SymmetricKey(size: .init(bitCount: byteCount * 8)).withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    /// The look-up of `number`: HMAC-SHA-256 in lower-case hex.
    public func lookUp(_ number: NHSNumber) -> String {
        Hex.encode(HMAC<SHA256>.authenticationCode(for: Array(number.rawValue.utf8), using: key))
    }
}
