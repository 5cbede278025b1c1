/// A setting that stops start-up: which one, where it came from, and why.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The dotted setting name, e.g. `directory.store`.
    public var setting: String
    public var message: String
    /// The file and line, or the environment variable, the value came from.
    public var source: String?

    public init(setting: String, message: String, source: String? = nil) {
        self.setting = setting
        self.message = message
        self.source = source
    }

    public var description: String {
        let prefix = source.map { "\($0): " } ?? ""
        // Problems with the file as a whole name the file, not a setting.
        return setting.hasPrefix("(") ? prefix + message : "\(prefix)setting \(setting): \(message)"
    }
}
