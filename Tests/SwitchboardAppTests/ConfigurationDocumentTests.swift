import Foundation
import SwitchboardApp
import SwitchboardTesting
import Testing

/// `Docs/configuration.md` lists exactly the settings the code defines, each with its default.
@Suite struct ConfigurationDocumentTests {
    /// Each documented setting and the default cell of its row.
    static func documentedSettings() throws -> [String: String] {
        let document = try String(contentsOf: Repository.root.appendingPathComponent("Docs/configuration.md"), encoding: .utf8)
        let section = try #require(document.components(separatedBy: "## Settings").dropFirst().first?.components(separatedBy: "\n## ").first)
        var settings: [String: String] = [:]
        for row in section.split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4 else { continue }
            for name in cells[1].matches(of: /`([\w.]+)`/) { settings[String(name.1)] = cells[2] }
        }
        return settings
    }

    @Test func everySettingIsDocumentedAndNothingElse() throws {
        let documented = try Self.documentedSettings()
        let defined = ConfigurationLoader.settings()
        for setting in defined {
            #expect(documented[setting.path] != nil, "\(setting.path) is not in Docs/configuration.md")
        }
        #expect(Set(documented.keys).subtracting(defined.map(\.path)).isEmpty, "documented but not defined: \(Set(documented.keys).subtracting(defined.map(\.path)).sorted())")
    }

    /// A row's default cell shows each of its settings' defaults (`0.0.0.0`, `8443`), except where
    /// it describes the value in words (the cipher list, the system roots).
    @Test func documentedDefaultsAreTheCodesDefaults() throws {
        let documented = try Self.documentedSettings()
        for setting in ConfigurationLoader.settings() {
            guard let cell = documented[setting.path], cell.hasPrefix("`") else { continue }
            let shown = cell.matches(of: /`([^`]*)`/).map { String($0.1) }
            let expected = setting.defaultValue == "''" ? "\"\"" : setting.defaultValue
            #expect(shown.contains(expected), "\(setting.path): the code's default is \(expected), the page says \(cell)")
        }
    }
}
