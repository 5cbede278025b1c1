public import Foundation
import SwitchboardStorage
import Yams
public import SwitchboardCore

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

    /// Loads the configuration; an environment variable with the prefix that names no setting is
    /// an error when `strictEnvironment`, else it is ignored and reported to `warn`.
    ///
    /// Not every `SWITCHBOARD_` variable is meant for Switchboard: scripts set their own, and
    /// Kubernetes sets `SWITCHBOARD_PORT`, `SWITCHBOARD_SERVICE_HOST` and more in every pod of a
    /// namespace with a Service named `switchboard`. A misspelt key in the file always stops
    /// start-up.
    public static func load(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment, strictEnvironment: Bool = false,
                            warn: (String) -> Void = { _ in }) throws(ConfigurationError) -> SwitchboardConfiguration {
        try loadTracingSources(file: file, environment: environment, strictEnvironment: strictEnvironment, warn: warn).configuration
    }

    /// Loads the configuration as ``load(file:environment:strictEnvironment:warn:)`` does, and says
    /// where each setting that is not a default came from (`file:line` or the variable's name).
    public static func loadTracingSources(file: String?, environment: [String: String] = ProcessInfo.processInfo.environment,
                                          strictEnvironment: Bool = false, warn: (String) -> Void = { _ in })
        throws(ConfigurationError) -> (configuration: SwitchboardConfiguration, sources: [String: String]) {
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
                throw ConfigurationError(setting: "(file)", message: "cannot read the configuration file \(ErrorMessage.describe(error)); "
                                         + "give --config (or SWITCHBOARD_CONFIG) the path of a YAML file such as Config/development.yaml")
            }
            let node: Node?
            do { node = try Yams.compose(yaml: text) } catch {
                throw ConfigurationError(setting: "(file)", message: "not valid YAML: \(ErrorMessage.describe(error))", source: file)
            }
            if let node {
                try overlay(node, onto: &merged, path: [], file: file, sources: &sources)
            }
        }
        try applyEnvironment(environment, defaults: defaults, onto: &merged, sources: &sources, strict: strictEnvironment, warn: warn)

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
        return (configuration, sources)
    }

    /// The environment variable that sets `path`: each camel-case word upper-cased and joined by
    /// `_`, an acronym kept whole (`proxy.tls.clientCA` is `SWITCHBOARD_PROXY_TLS_CLIENT_CA`,
    /// `allowIPLiterals` is `ALLOW_IP_LITERALS`).
    public static func environmentName(for path: [String]) -> String {
        environmentPrefix + path.map { component in
            let characters = Array(component)
            var result = ""
            for (index, character) in characters.enumerated() {
                if character.isUppercase, index > 0 {
                    let previous = characters[index - 1]
                    let next = index + 1 < characters.count ? characters[index + 1] : nil
                    if previous.isLowercase || previous.isNumber || (previous.isUppercase && next?.isLowercase == true) { result += "_" }
                }
                result += character.uppercased()
            }
            return result
        }.joined(separator: "_")
    }

    /// One setting as `switchboard config` lists it.
    public struct Setting: Sendable {
        /// The dotted path, e.g. `directory.store`.
        public var path: String
        public var environment: String
        /// The value in effect, a password in a store URL shown as `***`.
        public var value: String
        public var defaultValue: String
        /// `default`, the `file:line` or the environment variable the value came from.
        public var source: String
    }

    /// Every setting of `configuration`: its value, default, environment variable and source.
    public static func settings(of configuration: SwitchboardConfiguration = SwitchboardConfiguration(), sources: [String: String] = [:]) -> [Setting] {
        let defaults = Dictionary(uniqueKeysWithValues: leafValues(of: SwitchboardConfiguration()).map { ($0.path, $0.value) })
        return leafValues(of: configuration).map { path, value in
            let dotted = path.joined(separator: ".")
            return Setting(path: dotted, environment: environmentName(for: path), value: hidingPassword(value),
                           defaultValue: defaults[path] ?? "", source: sources[dotted] ?? "default")
        }
    }

    /// Each leaf setting's path and value as YAML writes it, in declaration order.
    private static func leafValues(of configuration: SwitchboardConfiguration) -> [(path: [String], value: String)] {
        guard let text = try? YAMLEncoder().encode(configuration), let node = try? Yams.compose(yaml: text) else { return [] }
        var result: [([String], String)] = []
        func walk(_ node: Node, _ path: [String]) {
            if case .mapping(let mapping) = node {
                for (key, value) in mapping { walk(value, path + [key.string ?? ""]) }
            } else {
                result.append((path, readable(node)))
            }
        }
        walk(node, [])
        return result
    }

    /// A value as a person writes it: a list in flow form (`[a, b]`), a number without YAML's
    /// exponent (`50`, not `5e+1`).
    private static func readable(_ node: Node) -> String {
        switch node {
        case .sequence(let items):
            return "[" + items.map(readable).joined(separator: ", ") + "]"
        default:
            if case .scalar(let scalar) = node, scalar.string.contains("e"), let number = Double(scalar.string) {
                return number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
            }
            return (try? Yams.serialize(node: node).trimmingCharacters(in: .whitespacesAndNewlines)) ?? ""
        }
    }

    /// `value` with the password of a URL in it replaced by `***`.
    static func hidingPassword(_ value: String) -> String {
        guard value.contains("://"), var components = URLComponents(string: value), components.password != nil else { return value }
        components.password = "***"
        return components.string ?? value
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

    private static func applyEnvironment(_ environment: [String: String], defaults: Node, onto target: inout Node, sources: inout [String: String],
                                         strict: Bool, warn: (String) -> Void) throws(ConfigurationError) {
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
                let nearest = nearestName(to: name, among: Array(leaves.keys)).map { " (the nearest setting is \($0))" } ?? ""
                if strict {
                    throw ConfigurationError(setting: name, message: "no setting has this name\(nearest); unset it, or drop --strict-environment to ignore it",
                                             source: "environment")
                }
                warn("\(name) is not a setting and is ignored\(nearest); `switchboard config` lists every setting, --strict-environment makes this an error")
                continue
            }
            let node: Node
            do { node = try Yams.compose(yaml: value) ?? Node("") } catch {
                throw ConfigurationError(setting: path.joined(separator: "."), message: "'\(value)' is not a valid value", source: name)
            }
            set(&target, path[...], to: node)
            sources[path.joined(separator: ".")] = name
        }
    }

    /// The setting name nearest to `name`: among those ending in the same word (`…_PORT`) if
    /// any do, the fewest edits away.
    static func nearestName(to name: String, among names: [String]) -> String? {
        let target = Array(name.dropFirst(environmentPrefix.count))
        let lastWord = name.split(separator: "_").last.map { "_" + $0 } ?? ""
        let sameEnding = names.filter { $0.hasSuffix(lastWord) }
        let scored = (sameEnding.isEmpty ? names : sameEnding).map { candidate in
            (candidate, editDistance(target, Array(candidate.dropFirst(environmentPrefix.count))))
        }
        return scored.min(by: { ($0.1, $0.0) < ($1.1, $1.0) })?.0
    }

    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, left) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, right) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (left == right ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
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
            // The standard library's words for a value no case has: "Cannot initialize <Type> from invalid String value <v>".
            if let match = context.debugDescription.firstMatch(of: /Cannot initialize (\w+) from invalid \w+ value (.*)/) {
                let allowed = choices[String(match.1)].map { " must be one of \($0.joined(separator: ", "))" } ?? " is not allowed"
                return (path(context.codingPath), "'\(match.2)'" + allowed)
            }
            return (path(context.codingPath), context.debugDescription.isEmpty ? "has a value that is not allowed" : context.debugDescription)
        @unknown default:
            return ("(unknown)", "\(error)")
        }
    }

    /// The words a setting of each choice type may take, by the type's name.
    private static let choices: [String: [String]] = [
        String(describing: SQLiteSynchronous.self): SQLiteSynchronous.allCases.map(\.rawValue),
        String(describing: LoggingConfiguration.Format.self): LoggingConfiguration.Format.allCases.map(\.rawValue),
    ]

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
