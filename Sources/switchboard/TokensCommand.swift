import ArgumentParser
import SwitchboardApp

struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens",
        abstract: "Make, list and revoke management API bearer tokens (stored as hashes only).",
        discussion: """
            A token is printed once, when it is made; Switchboard keeps only its SHA-256. Give each person or \
            system its own named token, with the admin role (routing tables) or the auditor role (audit log).
            """,
        subcommands: [TokensAdd.self, TokensList.self, TokensRevoke.self]
    )
}

/// The token operations of the configured store: the tokens file, or the shared database.
func tokenOperations(_ global: GlobalOptions) async throws -> TokenOperations {
    TokenOperations(store: try await TokenOperations.openStore(try global.loadConfiguration()))
}

struct TokensAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Make a token and print it (the only time it is shown).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "admin or auditor.") var role: String
    @Option(help: "A name for the token's holder, e.g. ops-alice or siem-exporter.") var name: String

    func run() async throws {
        let token = try await tokenOperations(global).add(name: name, role: role)
        print(token)
        printError("token '\(name)' (\(role)) made; it is not shown again: store it now")
    }
}

struct TokensList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (names, roles, dates; never the tokens).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        print(try await tokenOperations(global).list())
    }
}

struct TokensRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token; the next request with it is refused.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The token's name.") var name: String

    func run() async throws {
        try await tokenOperations(global).revoke(name: name)
        print("token '\(name)' revoked")
    }
}
