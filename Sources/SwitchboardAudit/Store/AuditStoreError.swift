/// Why the audit store cannot take records.
public enum AuditStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    case fileMissing(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case .fileMissing(let path): "the audit database \(path) is missing"
        case .unavailable(let reason): "the audit store is unavailable: \(reason)"
        }
    }
}
