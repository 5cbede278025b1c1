public import Foundation
import Yams

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
        "\(source.map { "\($0): " } ?? "")setting \(setting): \(message)"
    }
}

/// Reads a ``SwitchboardConfiguration``: built-in defaults, overlaid by a YAML file, overlaid by
/// `SWITCHBOARD_*` environment variables.
///
/// The defaults define which settings exist: a file key or environment variable that names
/// anything else is an error, so a typo never passes silently.
public enum ConfigurationLoader {
    /// The environment variable prefix; `directory.refreshIntervalMilliseconds` is
    /// `SWITCHBOARD_DIRECTORY_REFRESH_INTERVAL_MILLISECONDS`.
    public static let environmentPrefix = "SWITCHBOARD_"
    /// Names the config file when `--config` is not given.
    public static let configFileVariable = "SWITCHBOARD_CONFIG"

    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) -> SwitchboardConfiguration {
        let defaults: Node
        do {
            defaults = try Yams.compose(yaml: try YAMLEncoder().encode(SwitchboardConfiguration()))!
        } catch {
            throw ConfigurationError(setting: "(defaults)", message: "cannot encode the built-in defaults: \(error)")
        }
        var merged = defaults
        var sources: [String: String] = [:]
        if let file {
            let text: String
            do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
                throw ConfigurationError(setting: "(file)", message: "cannot read \(file): \(error.localizedDescription)")
            }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw ConfigurationError(setting: "(file)", message: "not valid YAML: \(error)", source: file)
            }
            if let node {
                try overlay(node, onto: &merged, path: [], file: file, sources: &sources)
            }
        }
        try applyEnvironment(environment, defaults: defaults, onto: &merged, sources: &sources)

        let configuration: SwitchboardConfiguration
        do {
            configuration = try YAMLDecoder().decode(SwitchboardConfiguration.self, from: merged)
        } catch let error as DecodingError {
            let (path, reason) = describe(error)
            throw ConfigurationError(setting: path, message: reason, source: sources[path])
        } catch {
            throw ConfigurationError(setting: "(all)", message: "\(error)")
        }
        do { try configuration.validate() } catch {
            var error = error
            error.source = error.source ?? sources[error.setting]
            throw error
        }
        return configuration
    }

    /// The environment variable that sets `path`.
    public static func environmentName(for path: [String]) -> String {
        environmentPrefix + path.map { component in
            var result = ""
            for character in component {
                if character.isUppercase && !result.isEmpty { result += "_" }
                result += character.uppercased()
            }
            return result
        }.joined(separator: "_")
    }

    /// Every setting's dotted path and default, for documentation and `switchboard config`.
    public static func settings() -> [(path: String, environment: String, defaultValue: String)] {
        guard let text = try? YAMLEncoder().encode(SwitchboardConfiguration()), let node = try? Yams.compose(yaml: text) else { return [] }
        var result: [(String, String, String)] = []
        func walk(_ node: Node, _ path: [String]) {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping { walk(value, path + [key.string ?? ""]) }
            } else {
                let value = (try? Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
                result.append((path.joined(separator: "."), environmentName(for: path), value))
            }
        }
        walk(node, [])
        return result
    }

    private static func overlay(_ user: Node, onto target: inout Node, path: [String], file: String, sources: inout [String: String]) throws(ConfigurationError) {
        let dotted = path.joined(separator: ".")
        guard case .mapping(var targetMapping) = target else {
            target = user
            sources[dotted] = "\(file):\(user.mark?.line ?? 0)"
            return
        }
        guard case .mapping(let userMapping) = user else {
            throw ConfigurationError(setting: dotted.isEmpty ? "(top level)" : dotted, message: "must be a section of settings, not a single value",
                                     source: "\(file):\(user.mark?.line ?? 0)")
        }
        for (key, value) in userMapping {
            let name = key.string ?? "?"
            let childPath = path + [name]
            guard var existing = targetMapping[name] else {
                let known = targetMapping.keys.compactMap(\.string).sorted().joined(separator: ", ")
                throw ConfigurationError(setting: childPath.joined(separator: "."), message: "unknown setting (known here: \(known))",
                                         source: "\(file):\(key.mark?.line ?? 0)")
            }
            try overlay(value, onto: &existing, path: childPath, file: file, sources: &sources)
            targetMapping[name] = existing
        }
        target = .mapping(targetMapping)
    }

    private static func applyEnvironment(_ environment: [String: String], defaults: Node, onto target: inout Node, sources: inout [String: String]) throws(ConfigurationError) {
        var leaves: [String: [String]] = [:]
        func walk(_ node: Node, _ path: [String]) {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping { walk(value, path + [key.string ?? ""]) }
            } else {
                leaves[environmentName(for: path)] = path
            }
        }
        walk(defaults, [])
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix(environmentPrefix) && name != configFileVariable {
            guard let path = leaves[name] else {
                throw ConfigurationError(setting: name, message: "unknown environment variable: no setting has this name (see `switchboard config`)", source: "environment")
            }
            let node: Node
            do { node = try Yams.compose(yaml: value) ?? Node("") } catch {
                throw ConfigurationError(setting: path.joined(separator: "."), message: "'\(value)' is not a valid value", source: name)
            }
            set(&target, path[...], to: node)
            sources[path.joined(separator: ".")] = name
        }
    }

    private static func set(_ target: inout Node, _ path: ArraySlice<String>, to value: Node) {
        guard let first = path.first else { target = value; return }
        guard case .mapping(var mapping) = target, var child = mapping[first] else { return }
        set(&child, path.dropFirst(), to: value)
        mapping[first] = child
        target = .mapping(mapping)
    }

    private static func describe(_ error: DecodingError) -> (String, String) {
        func path(_ codingPath: [any CodingKey]) -> String { codingPath.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            return (path(context.codingPath), "expected \(readable(type))")
        case .valueNotFound(let type, let context):
            return (path(context.codingPath), "expected \(readable(type)), found nothing")
        case .keyNotFound(let key, let context):
            return (path(context.codingPath + [key]), "is required")
        case .dataCorrupted(let context):
            let reason = context.debugDescription.contains("Cannot initialize") || context.debugDescription.isEmpty
                ? "has a value that is not allowed" : context.debugDescription
            return (path(context.codingPath), reason)
        @unknown default:
            return ("(unknown)", "\(error)")
        }
    }

    private static func readable(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        default: "\(type)"
        }
    }
}
