public import SwitchboardCore

/// Where a store is, from its `store` setting: `sqlite:<path>` (embedded) or a `postgres://` URL
/// (shared by several nodes).
public enum StoreLocation: Hashable, Sendable {
    case sqlite(path: String)
    case postgres(PostgresLocation)

    /// Reads the value of `setting`; an error names the setting and the forms it takes (`forms`,
    /// for a setting that also takes a word of its own, such as the audit store's `off`).
    public init(_ text: String, setting: String, forms: String = "'sqlite:<path>' or 'postgres://…'") throws(ConfigurationError) {
        if text.hasPrefix("sqlite:"), text.count > "sqlite:".count {
            self = .sqlite(path: String(text.dropFirst("sqlite:".count)))
        } else if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            do { self = .postgres(try PostgresLocation(url: text)) } catch {
                throw ConfigurationError(setting: setting, message: "the PostgreSQL URL \(error.message)")
            }
        } else {
            throw ConfigurationError(setting: setting, message: "'\(text.prefix(60))' must be \(forms)")
        }
    }
}
