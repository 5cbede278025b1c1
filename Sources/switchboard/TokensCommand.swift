import ArgumentParser
import Foundation
import SwitchboardCore
import SwitchboardAdmin
import SwitchboardApp
import SwitchboardDirectory

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

func tokenFile(_ global: GlobalOptions) throws -> TokenFile {
    TokenFile(path: try global.loadConfiguration().management.tokensFile)
}

struct TokensAdd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "add", abstract: "Make a token and print it (the only time it is shown).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "admin or auditor.") var role: String
    @Option(help: "A name for the token's holder, e.g. ops-alice or siem-exporter.") var name: String

    func run() async throws {
        guard let role = Role(rawValue: role) else { throw CLIError("--role must be admin or auditor") }
        do {
            let token = try tokenFile(global).add(name: name, role: role, createdBy: RoutesContext.author(reason: nil).actor)
            print(token)
            printError("token '\(name)' (\(role.rawValue)) made; it is not shown again: store it now")
        } catch let error as TokenError {
            throw CLIError(error.description)
        }
    }
}

struct TokensList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (names, roles, dates; never the tokens).")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let entries = try tokenFile(global).entries()
        if entries.isEmpty { print("no tokens (make one with `switchboard tokens add`)"); return }
        print(formatTable(["NAME", "ROLE", "CREATED", "BY", "STATE"], entries.map {
            [$0.name, $0.role.rawValue, Timestamp.rfc3339($0.createdAt), $0.createdBy, $0.revokedAt.map { "revoked \(Timestamp.rfc3339($0))" } ?? "live"]
        }))
    }
}

struct TokensRevoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token; the next request with it is refused.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The token's name.") var name: String

    func run() async throws {
        do {
            try tokenFile(global).revoke(name: name)
            print("token '\(name)' revoked")
        } catch let error as TokenError {
            throw CLIError(error.description)
        }
    }
}
