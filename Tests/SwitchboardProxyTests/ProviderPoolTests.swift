import Foundation
import NIOCore
import SwitchboardApp
import SwitchboardHarness
import SwitchboardTesting
import Testing
@testable import SwitchboardProxy

/// The provider connections each event loop keeps: reuse, the per-host limit, the idle timeout,
/// and connections the provider will not keep open.
@Suite struct ProviderPoolTests {
    private static func slotBundleAfter(milliseconds: Int64) -> @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action {
        { request in .delayed(milliseconds: milliseconds, ProxyHarness.slotBundle(request)) }
    }

    /// The harness runs two event loops, so a limit of 2 per host is one connection per loop:
    /// six exchanges at once share them, the rest waiting their turn rather than failing.
    @Test func requestsBeyondTheConnectionLimitWaitForAFreeConnection() async throws {
        try await ProxyHarness.with(behaviour: Self.slotBundleAfter(milliseconds: 150),
                                    configure: { $0.proxy.upstream.maxConnectionsPerHost = 2 }) { harness in
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<6 { group.addTask { try await harness.send().status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 6))
            #expect(harness.provider.requests.count == 6)
            #expect(harness.provider.openedConnections <= 2, "\(harness.provider.openedConnections) provider connections for a limit of 2")
        }
    }

    @Test func idleConnectionsCloseAfterTheIdleTimeout() async throws {
        try await ProxyHarness.with(configure: { $0.proxy.upstream.idleConnectionTimeoutMilliseconds = 200 }) { harness in
            let first = try await harness.send().status
            #expect(first == 200)
            #expect(harness.provider.openedConnections == 1)
            await eventually { harness.provider.closedConnections > 0 }
            #expect(harness.provider.closedConnections == 1)
            // The next exchange makes a new connection rather than failing on the closed one.
            let second = try await harness.send().status
            #expect(second == 200)
            #expect(harness.provider.openedConnections == 2)
        }
    }

    /// A provider that answers `Connection: close` gets a new connection for each exchange.
    @Test func aConnectionTheProviderClosesIsNotReused() async throws {
        let closing: @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action = { _ in
            .respond(status: 200, headers: [("Content-Type", "application/fhir+json"), ("Connection", "close")], body: Data(#"{"resourceType":"Bundle"}"#.utf8))
        }
        try await ProxyHarness.with(behaviour: closing) { harness in
            for _ in 0..<3 {
                let response = try await harness.send()
                #expect(response.status == 200)
                #expect(response.body == #"{"resourceType":"Bundle"}"#)
            }
            #expect(harness.provider.openedConnections == 3)
        }
    }

    @Test func providerAddresses() throws {
        #expect(try ProviderOrigin(authority: "gp.example.nhs.uk") == ProviderOrigin(host: "gp.example.nhs.uk", port: 443))
        #expect(try ProviderOrigin(authority: "localhost:39081") == ProviderOrigin(host: "localhost", port: 39081))
        #expect(try ProviderOrigin(authority: "[::1]:9443") == ProviderOrigin(host: "::1", port: 9443))
        #expect(try ProviderOrigin(authority: "[::1]") == ProviderOrigin(host: "::1", port: 443))
        #expect(ProviderOrigin(host: "127.0.0.1", port: 443).isIPAddress)
        #expect(!ProviderOrigin(host: "localhost", port: 443).isIPAddress)
        for broken in ["host:0", "host:65536", "host:https", ":443", "[::1", "[::1]x", "[]:443"] {
            #expect(throws: UpstreamError.invalidAuthority(broken)) { try ProviderOrigin(authority: Substring(broken)) }
        }
    }
}
