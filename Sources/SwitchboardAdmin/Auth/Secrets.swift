import Crypto
import Foundation
import SwitchboardCore

/// Random secrets and their comparison, shared by tokens, console sessions and CSRF tokens.
enum Secrets {
    /// 256 random bits, base64url without padding.
    static func random() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Base64URL.encode($0) }
    }

    /// Whether two secrets are equal, in time independent of where they differ.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}
