import Foundation
import SwitchboardApp
import SwitchboardProxy
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import SwitchboardTesting
import Testing

/// The proxy with the real group-commit writer and SQLite audit store.
@Suite struct AuditedExchangeTests {
    /// The one record of the exchange with this trace id, read back from the store.
    func stored(_ harness: ProxyHarness, trace: String) async throws -> [ExchangeRecord] {
        try await harness.auditStore!.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records
    }

    @Test func everyOutcomeLeavesExactlyOneCompleteRecord() async throws {
        try await ProxyHarness.with(behaviour: { request in
            if request.uri.contains("hang") { return .hang }
            return ProxyHarness.slotBundle(request)
        }, audited: true, configure: { $0.proxy.upstream.responseTimeoutMilliseconds = 2_000 }) { harness in
            // (Long enough that the consumer in the last case has surely gone before the provider is given up on.)
            // Forwarded.
            let forwardedTrace = UUID().uuidString
            #expect(try await harness.send(headers: harness.sspHeaders(traceID: forwardedTrace)).status == 200)
            let forwarded = try await stored(harness, trace: forwardedTrace)
            #expect(forwarded.count == 1)
            #expect(forwarded.first?.outcome == .forwarded)
            #expect(forwarded.first?.status == 200)
            #expect(forwarded.first?.responseBodySHA256?.count == 64)

            // Refused.
            let refusedTrace = UUID().uuidString
            var headers = harness.sspHeaders(traceID: refusedTrace)
            headers.removeAll { $0.0 == "Ssp-To" }
            headers.append(("Ssp-To", "918999198004"))
            #expect(try await harness.send(headers: headers).status == 403)
            let refused = try await stored(harness, trace: refusedTrace)
            #expect(refused.map(\.outcome) == [.refused])
            #expect(refused.first?.refusalRule == "FOT_CHECK_FAILED")
            #expect(refused.first?.refusalPhase == "authorise")

            // Timed out upstream.
            let timeoutTrace = UUID().uuidString
            #expect(try await harness.send(.GET, "/Slot?hang=1", headers: harness.sspHeaders(traceID: timeoutTrace)).status == 504)
            #expect(try await stored(harness, trace: timeoutTrace).map(\.outcome) == [.upstreamTimeout])

            // Consumer gone.
            let goneTrace = UUID().uuidString
            _ = try await RawClient.send(harness.rawRequest("GET", "/Slot?hang=2", headers: harness.sspHeaders(traceID: goneTrace)),
                                         port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10),
                                         closeWhen: { [provider = harness.provider] in provider.requests.contains { $0.uri.contains("hang=2") } })
            var gone: [ExchangeRecord] = []
            for _ in 0..<100 {
                gone = try await stored(harness, trace: goneTrace)
                if gone.first?.outcome == .clientClosed { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(gone.map(\.status) == [499])

            #expect(try await harness.auditStore!.verify(node: nil).isIntact)
        }
    }

    @Test func providerUnreachableIsRecorded() async throws {
        try await ProxyHarness.with(audited: true) { harness in
            await harness.provider.shutdown()
            let trace = UUID().uuidString
            let response = try await harness.send(headers: harness.sspHeaders(traceID: trace))
            #expect(response.status == 502)
            let records = try await stored(harness, trace: trace)
            #expect(records.map(\.outcome) == [.upstreamFailed])
        }
    }

    /// Sends through a working store, breaks it with `fault`, checks that new requests get 503
    /// and reach no provider, repairs it and checks that the proxy recovers by itself with the
    /// refusals recorded and the chain intact.
    func failsClosedThenRecovers(_ harness: ProxyHarness, fault: () async throws -> Void, repair: () async throws -> Void) async throws {
        #expect(try await harness.send().status == 200)
        let forwardedBefore = harness.provider.requests.count
        try await fault()
        let trace = UUID().uuidString
        let refused = try await harness.send(headers: harness.sspHeaders(traceID: trace))
        #expect(refused.status == 503)
        #expect(refused.token == "AUDIT_STORE_UNAVAILABLE")
        let during = try await harness.send()
        #expect(during.status == 503)
        #expect(harness.provider.requests.count == forwardedBefore)
        try await repair()
        var status = 0
        for _ in 0..<150 {
            status = try await harness.send().status
            if status == 200 { break }
            try await Task.sleep(for: .milliseconds(30))
        }
        #expect(status == 200)
        let records = try await stored(harness, trace: trace)
        #expect(records.map(\.status) == [503])
        #expect(records.first?.refusalRule == "AUDIT_STORE_UNAVAILABLE")
        #expect(try await harness.auditStore!.verify(node: nil).isIntact)
    }

    @Test func lockedStoreMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await ProxyHarness.with(audited: true) { harness in
            var lock: SQLiteLockHolder?
            try await failsClosedThenRecovers(harness, fault: { lock = try SQLiteLockHolder(harness.auditPath!) },
                                              repair: { lock?.release() })
        }
    }

    /// The same on PostgreSQL: another session holds an exclusive lock on the audit table; writes
    /// time out (`lock_timeout`), the proxy refuses, and recovers once the session is ended.
    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
    func lockedPostgresStoreMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ProxyHarness.with(auditDatabaseURL: url) { harness in
                var holder: Process?
                try await failsClosedThenRecovers(harness, fault: {
                    holder = try await ScratchPostgres.holdLock(url, "LOCK TABLE audit_record IN ACCESS EXCLUSIVE MODE")
                }, repair: {
                    holder?.terminate()
                    try await ScratchPostgres.endLockHolders(url)
                })
            }
        }
    }

    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func readOnlyStoreMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await ProxyHarness.with(audited: true, auditFolder: disk.mountPoint) { harness in
                try await failsClosedThenRecovers(harness, fault: {
                    let database = harness.auditPath!
                    try disk.makeReadOnly([database, database + "-wal"])
                }, repair: disk.makeWritable)
            }
        }
    }

    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func fullDiskMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await ProxyHarness.with(audited: true, auditFolder: disk.mountPoint) { harness in
                try await failsClosedThenRecovers(harness, fault: { try disk.fill() }, repair: { try disk.removeFiller() })
            }
        }
    }
}
