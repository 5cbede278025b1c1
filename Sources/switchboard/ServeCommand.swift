import ArgumentParser
import Logging
import SwitchboardApp

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy: the national endpoint consumer systems call.",
        discussion: """
            Listens on proxy.listen (HTTPS with client certificates), routes by the directory store and forwards \
            to providers. Stops gracefully on SIGTERM or SIGINT. On SIGHUP, reads the configuration file again and puts \
            renewed certificates and keys, the consumer CA bundle, rate limits and CORS origins in force without a restart \
            (Docs/operator-guide.md). Settings: Docs/configuration.md.
            """
    )

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let configuration = try global.loadConfiguration()
        let logger = configuration.logging.bootstrap()
        let global = self.global
        try await SwitchboardRuntime.serve(configuration: configuration, logger: logger) { try global.loadConfiguration() }
    }
}
