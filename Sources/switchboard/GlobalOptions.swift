import ArgumentParser
import Foundation
import SwitchboardApp
import SwitchboardCore

/// Options every command that reads the configuration shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (YAML). Defaults to $SWITCHBOARD_CONFIG, else built-in development defaults.", valueName: "file"))
    var config: String?

    @Flag(help: "Stop on any SWITCHBOARD_ environment variable that names no setting (by default it is ignored with a warning).")
    var strictEnvironment = false

    func loadConfiguration() throws -> SwitchboardConfiguration {
        try loadConfigurationTracingSources().configuration
    }

    /// The configuration, and where each setting that is not a default came from.
    func loadConfigurationTracingSources() throws -> (configuration: SwitchboardConfiguration, sources: [String: String]) {
        let environment = ProcessInfo.processInfo.environment
        let file = config ?? environment[ConfigurationLoader.configFileVariable]
        do {
            return try ConfigurationLoader.loadTracingSources(file: file, environment: environment, strictEnvironment: strictEnvironment) { warning in
                printError("warning: \(warning)")
            }
        } catch {
            throw CLIError(error.description)
        }
    }
}

/// An error reported to the user as one line, with exit status 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// Left-aligned columns for terminal tables.
func formatTable(_ header: [String], _ rows: [[String]]) -> String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
        row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
