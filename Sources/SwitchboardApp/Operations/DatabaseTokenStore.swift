import Foundation
import SwitchboardAdmin
import SwitchboardPostgres

/// Management tokens in the PostgreSQL database the nodes share (when `directory.store` is
/// PostgreSQL): a token made or revoked on one node holds on every node at its next request.
struct DatabaseTokenStore: ManagementTokenStore {
    let table: PostgresTokenTable

    func add(name: String, role: Role, createdBy: String) async throws -> String {
        let made = try ManagementToken.make(name: name, role: role, createdBy: createdBy)
        let entry = made.entry
        let row = PostgresTokenTable.Row(name: entry.name, role: entry.role.rawValue, sha256: entry.sha256, createdAt: entry.createdAt,
                                         createdBy: entry.createdBy, revokedAt: nil)
        guard try await table.insert(row) else { throw TokenError.duplicateName(name) }
        return made.token
    }

    func revoke(name: String) async throws {
        guard try await table.revoke(name: name) else { throw TokenError.unknownName(name) }
    }

    func entries() async throws -> [ManagementToken] {
        try await table.rows().compactMap { row in
            Role(rawValue: row.role).map {
                ManagementToken(name: row.name, role: $0, sha256: row.sha256, createdAt: row.createdAt, createdBy: row.createdBy,
                                revokedAt: row.revokedAt)
            }
        }
    }

    func principal(for token: String) async throws -> Principal? {
        guard let row = try await table.live(sha256: ManagementToken.hash(token)), let role = Role(rawValue: row.role) else { return nil }
        return Principal(name: "token:\(row.name)", role: role)
    }
}
