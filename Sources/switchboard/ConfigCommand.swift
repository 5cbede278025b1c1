import ArgumentParser
import SwitchboardApp

struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a configuration and list every setting with its environment variable and default.",
        discussion: "Exits non-zero, naming the setting, if the configuration would stop start-up."
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        _ = try global.loadConfiguration()
        let rows = ConfigurationLoader.settings().map { [$0.path, $0.environment, $0.defaultValue] }
        print(formatTable(["SETTING", "ENVIRONMENT VARIABLE", "DEFAULT"], rows))
        print("\nconfiguration OK")
    }
}
