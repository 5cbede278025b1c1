/// Whether a directory entry takes part in routing. Retired entries are kept (history and audit
/// refer to them) but every lookup on the request path ignores them.
public enum RecordStatus: String, CaseIterable, Hashable, Sendable, Codable {
    case active
    case retired
}
