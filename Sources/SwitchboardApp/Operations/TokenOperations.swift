import Foundation
public import SwitchboardAdmin
import SwitchboardCore

/// Management bearer tokens, as `switchboard tokens` makes, lists and revokes them.
public struct TokenOperations: Sendable {
    let file: TokenFile

    public init(configuration: ManagementConfiguration) {
        file = TokenFile(path: configuration.tokensFile)
    }

    /// Makes a token for `name` with `role` (`admin` or `auditor`) and returns it: the only time it
    /// is shown. Its maker is recorded as the operator of this shell.
    public func add(name: String, role: String) throws -> String {
        guard let role = Role(rawValue: role) else { throw OperationError("--role must be admin or auditor") }
        do {
            return try file.add(name: name, role: role, createdBy: CommandLineOperator.actor)
        } catch let error as TokenError {
            throw OperationError(error.description)
        }
    }

    /// A table of the tokens (names, roles, dates, state; never the tokens), or what to do when there is none.
    public func list() throws -> String {
        let entries = try file.entries()
        if entries.isEmpty { return "no tokens (make one with `switchboard tokens add`)" }
        return TextTable.format(["NAME", "ROLE", "CREATED", "BY", "STATE"], entries.map {
            [$0.name, $0.role.rawValue, Timestamp.rfc3339($0.createdAt), $0.createdBy, $0.revokedAt.map { "revoked \(Timestamp.rfc3339($0))" } ?? "live"]
        })
    }

    public func revoke(name: String) throws {
        do {
            try file.revoke(name: name)
        } catch let error as TokenError {
            throw OperationError(error.description)
        }
    }
}
