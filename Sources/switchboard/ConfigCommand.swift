import ArgumentParser
import SwitchboardApp

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration and list every setting: its value, where the value came from, and its environment variable.",
        discussion: "Exits non-zero, naming the setting, if the configuration would stop start-up."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let (configuration, sources) = try global.loadConfigurationTracingSources()
        let rows = ConfigurationLoader.settings(of: configuration, sources: sources).map { [$0.path, $0.source, $0.environment, $0.value] }
        print(TextTable.format(["SETTING", "FROM", "ENVIRONMENT VARIABLE", "VALUE"], rows))
        print("\nconfiguration OK")
    }
}
