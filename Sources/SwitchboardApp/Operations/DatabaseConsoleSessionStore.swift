import Foundation
import SwitchboardAdmin
import SwitchboardPostgres

/// Console sessions in the PostgreSQL database the nodes share (when `directory.store` is
/// PostgreSQL): a user signed in through one node is signed in on every node.
struct DatabaseConsoleSessionStore: ConsoleSessionStore {
    let table: PostgresConsoleSessionTable

    func insert(_ session: StoredConsoleSession) async throws {
        try await table.insert(.init(idHash: session.idHash, principal: session.principalName, role: session.role, csrf: session.csrf,
                                     startedAt: session.startedAt, lastSeenAt: session.lastSeenAt))
    }

    func session(idHash: String) async throws -> StoredConsoleSession? {
        try await table.row(idHash: idHash).map {
            StoredConsoleSession(idHash: $0.idHash, principalName: $0.principal, role: $0.role, csrf: $0.csrf, startedAt: $0.startedAt, lastSeenAt: $0.lastSeenAt)
        }
    }

    func touch(idHash: String, at date: Date) async throws { try await table.touch(idHash: idHash, at: date) }
    func delete(idHash: String) async throws { try await table.delete(idHash: idHash) }
    func deleteEnded(idleBefore: Date, startedBefore: Date) async throws { try await table.deleteEnded(idleBefore: idleBefore, startedBefore: startedBefore) }
}
