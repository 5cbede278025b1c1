import ArgumentParser
import Foundation
import SwitchboardApp

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
        return try ConfigurationLoader.loadTracingSources(file: file, environment: environment, strictEnvironment: strictEnvironment) { warning in
            printError("warning: \(warning)")
        }
    }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
