import ArgumentParser
import SwitchboardApp

struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "A secure routing proxy for GP Connect appointment booking, modelled on the Spine Secure Proxy.",
        discussion: """
            Consumer systems (NHS 111, CAS, GP hubs) call one national endpoint; Switchboard authenticates them, \
            checks the routing directory, forwards to the GP practice's system and audits every exchange.

            Most commands read a configuration file (--config, or $SWITCHBOARD_CONFIG); without one they use \
            built-in development defaults. See Docs/ for each role's guide.
            """,
        version: switchboardVersion,
        subcommands: [DemoCommand.self, ServeCommand.self, Routes.self, AuditCommand.self, TokensCommand.self, ConfigCommand.self, JWTCommand.self,
                      SamplesCommand.self]
    )
}
