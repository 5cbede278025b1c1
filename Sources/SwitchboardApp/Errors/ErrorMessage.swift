import Foundation
import GRDB
import NIOCore
import NIOSSL

/// What a person reads when a command fails: one line naming the thing that failed and, where
/// there is one, what to do. Never a Foundation domain and code, a Swift type dump or a stack.
public enum ErrorMessage {
    public static func describe(_ error: any Error) -> String {
        let text: String
        switch error {
        case let error as CocoaError:
            text = describe(error)
        case let error as IOError:
            text = "\(error.errnoCode == 0 ? "an I/O call failed" : String(cString: strerror(error.errnoCode)).lowercased()) (errno \(error.errnoCode))"
        case let error as NIOSSLError:
            text = "TLS could not be set up: \(error); check that the certificate and key files are PEM and belong together"
        case let error as DatabaseError:
            text = "the SQLite database failed: \(error.message ?? "result code \(error.resultCode.rawValue)")"
        case let error as DecodingError:
            text = "a file or answer could not be read: \(error.localizedDescription)"
        default:
            text = String(describing: error)
        }
        return oneLine(text)
    }

    /// File errors name the file and the reason, as `cp` or `ls` would.
    static func describe(_ error: CocoaError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? error.filePath ?? error.url?.path
        let reason: String
        switch error.code {
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "no such file or folder"
        case .fileReadNoPermission, .fileWriteNoPermission: reason = "permission denied"
        case .fileWriteOutOfSpace: reason = "no space left on the device"
        case .fileWriteVolumeReadOnly: reason = "the file system is read-only"
        case .fileWriteFileExists: reason = "it already exists"
        case .fileReadCorruptFile, .fileReadInapplicableStringEncoding: reason = "it is not readable text of the expected kind"
        default:
            let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map { String(describing: $0) }
            reason = underlying.map(oneLine) ?? "the operation failed (file error \(error.code.rawValue))"
        }
        guard let path else { return "a file operation failed: \(reason)" }
        return "\(path): \(reason)"
    }

    static func oneLine(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return flat.count > 400 ? String(flat.prefix(400)) + "…" : flat
    }
}
