import Foundation
import NIOConcurrencyHelpers
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// Console sessions live in the store: a user signed in stays signed in when the node restarts,
/// and on another node of the same PostgreSQL deployment; signing out ends the session on all.
@Suite struct ConsoleSessionTests {
    /// An auditor token made with the workspace's configuration.
    static func auditorToken(_ workspace: ServeWorkspace) async throws -> String {
        let added = try await workspace.cli.run(["tokens", "add", "--role", "auditor", "--name", "console-user", "--config", workspace.config.path])
        #expect(added.status == 0, "\(added.error)")
        return added.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func browser(_ workspace: ServeWorkspace) throws -> ConsoleBrowser {
        try ConsoleBrowser(port: workspace.managementPort, trustedCA: workspace.pki.consumerCA)
    }

    @Test func aSignedInUserStaysSignedInAcrossARestart() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let token = try await Self.auditorToken(workspace)
            var server = try workspace.startServer()
            try await waitUntilListening(workspace.managementPort)
            let browser = try Self.browser(workspace)
            #expect(try await browser.signIn(token).status == 303)
            #expect(try await browser.get("/console/audit").status == 200)
            #expect(await workspace.stop(server))

            server = try workspace.startServer(log: "serve-again.log")
            try await waitUntilListening(workspace.managementPort)
            let page = try await browser.get("/console/audit")
            #expect(page.status == 200, "still signed in after the restart")
            let stored = try Data(contentsOf: workspace.folder.appendingPathComponent("console-sessions.sqlite"))
            let cookie = try #require(browser.cookies.withLockedValue { $0["sb_session"] })
            #expect(stored.range(of: Data(cookie.utf8)) == nil, "the session id is stored only as its hash")

            #expect(try await browser.post("/console/sign-out", [("csrf", page.csrf ?? "")]).status == 303)
            #expect(try await browser.get("/console/audit").status == 303, "signed out")
            await browser.shutdown()
            #expect(await workspace.stop(server))
        }
    }

    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
    func aSessionStartedOnOneNodeHoldsOnTheOther() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle, databaseURL: url) { nodeA, _ in
                let nodeB = try nodeA.addNode("node-b")
                let token = try await Self.auditorToken(nodeA)
                let serverA = try nodeA.startServer(log: "node-a.log")
                let serverB = try nodeB.startServer(log: "node-b.log")
                try await waitUntilListening(nodeA.managementPort)
                try await waitUntilListening(nodeB.managementPort)
                let onA = try Self.browser(nodeA)
                #expect(try await onA.signIn(token).status == 303)
                let onB = try Self.browser(nodeB)
                onB.cookies.withLockedValue { $0 = onA.cookies.withLockedValue { $0 } }
                let page = try await onB.get("/console/audit")
                #expect(page.status == 200, "the session started on node A holds on node B")
                #expect(try await onB.post("/console/sign-out", [("csrf", page.csrf ?? "")]).status == 303)
                #expect(try await onA.get("/console/audit").status == 303, "signed out through node B, so out on node A too")
                await onA.shutdown()
                await onB.shutdown()
                #expect(await nodeA.stop(serverA))
                #expect(await nodeB.stop(serverB))
            }
        }
    }
}
