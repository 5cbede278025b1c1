import Foundation
import Logging
public import SwitchboardAdmin
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardPostgres
import SwitchboardStorage

/// Management bearer tokens, as `switchboard tokens` makes, lists and revokes them, and as the
/// management listener checks them: in `management.tokensFile` on a node whose directory store is
/// SQLite, in the shared database when it is PostgreSQL.
public struct TokenOperations: Sendable {
    let store: any ManagementTokenStore

    public init(store: any ManagementTokenStore) {
        self.store = store
    }

    /// The token store this configuration uses. With PostgreSQL it needs a ``StoreTasks`` scope.
    public static func openStore(_ configuration: SwitchboardConfiguration) async throws -> any ManagementTokenStore {
        switch try configuration.directory.storeLocation {
        case .postgres(let location):
            let table = try await StoreOpenError.opening("directory.store (management tokens)", at: location.description) {
                try await PostgresTokenTable(location: location, logger: Logger(label: "switchboard.tokens.postgres"))
            }
            return DatabaseTokenStore(table: table)
        case .sqlite:
            return TokenFile(path: configuration.management.tokensFile)
        }
    }

    /// Where console sessions are kept: the shared PostgreSQL database with a PostgreSQL directory
    /// store, else a SQLite file beside the tokens file.
    public static func openSessionStore(_ configuration: SwitchboardConfiguration) async throws -> any ConsoleSessionStore {
        switch try configuration.directory.storeLocation {
        case .postgres(let location):
            let table = try await StoreOpenError.opening("directory.store (console sessions)", at: location.description) {
                try await PostgresConsoleSessionTable(location: location, logger: Logger(label: "switchboard.console.postgres"))
            }
            return DatabaseConsoleSessionStore(table: table)
        case .sqlite:
            let path = SQLiteConsoleSessionStore.path(besideTokensFile: configuration.management.tokensFile)
            return try await StoreOpenError.opening("the console sessions (beside management.tokensFile)", at: path) {
                try SQLiteConsoleSessionStore(path: path)
            }
        }
    }

    /// Makes a token for `name` with `role` (`admin` or `auditor`) and returns it: the only time it
    /// is shown. Its maker is recorded as the operator of this shell.
    public func add(name: String, role: String) async throws -> String {
        guard let role = Role(rawValue: role) else { throw OperationError("--role must be admin or auditor") }
        do {
            return try await store.add(name: name, role: role, createdBy: CommandLineOperator.actor)
        } catch let error as TokenError {
            throw OperationError(error.description)
        }
    }

    /// A table of the tokens (names, roles, dates, state; never the tokens), or what to do when there is none.
    public func list() async throws -> String {
        let entries = try await store.entries()
        if entries.isEmpty { return "no tokens (make one with `switchboard tokens add`)" }
        return TextTable.format(["NAME", "ROLE", "CREATED", "BY", "STATE"], entries.map {
            [$0.name, $0.role.rawValue, Timestamp.rfc3339($0.createdAt), $0.createdBy, $0.revokedAt.map { "revoked \(Timestamp.rfc3339($0))" } ?? "live"]
        })
    }

    public func revoke(name: String) async throws {
        do {
            try await store.revoke(name: name)
        } catch let error as TokenError {
            throw OperationError(error.description)
        }
    }
}
