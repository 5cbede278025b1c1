import Foundation
import SwitchboardAdmin
import SwitchboardTesting
import Testing

/// Management tokens as the server reads them while `switchboard tokens` changes the file.
@Suite struct TokenFileTests {
    @Test func aRevokedTokenIsRefusedOnTheNextRequest() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("tokens.json").path
            // The server's view and the CLI's, as two processes have them.
            let server = TokenFile(path: path), cli = TokenFile(path: path)
            let token = try cli.add(name: "siem", role: .auditor, createdBy: "cli:test")
            #expect(try server.principal(for: token)?.name == "token:siem")
            try cli.revoke(name: "siem")
            #expect(try server.principal(for: token) == nil, "a revoked token must not be accepted again, not even within the same second")
            let second = try cli.add(name: "siem", role: .admin, createdBy: "cli:test")
            #expect(try server.principal(for: second)?.role == .admin, "a token made after the file was read is accepted at once")
            #expect(try server.principal(for: "sbt_notarealtoken") == nil)
        }
    }
}
