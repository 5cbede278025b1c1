import Foundation
import SwitchboardApp
import SwitchboardProxy
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import SwitchboardHarness
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
        }, audited: true, configure: { $0.proxy.upstream.responseTimeoutMilliseconds = 5_000 }) { harness in
            // (Long enough that the consumer in the last case has surely gone before the provider is
            // given up on, even on a loaded machine: at 2 s, CI beside two builds once recorded 504.)
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
            _ = try await eventually(timeout: .seconds(10)) {
                gone = try await stored(harness, trace: goneTrace)
                return gone.first?.outcome == .clientClosed
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
    /// refusals recorded and the chain intact. A fault may take a few exchanges to be met (a
    /// full disk, once the preallocated journal segment is used up): up to `within` are sent.
    func failsClosedThenRecovers(_ harness: ProxyHarness, within: Int = 1, fault: () async throws -> Void,
                                 repair: () async throws -> Void) async throws {
        #expect(try await harness.send().status == 200)
        try await fault()
        var trace = ""
        var refused: ProxyHarness.Response?
        var forwardedBefore = 0
        for _ in 0..<within {
            trace = UUID().uuidString
            forwardedBefore = harness.provider.requests.count
            let response = try await harness.send(headers: harness.sspHeaders(traceID: trace))
            if response.status != 200 {
                refused = response
                break
            }
        }
        #expect(refused?.status == 503)
        #expect(refused?.token == "AUDIT_STORE_UNAVAILABLE")
        // The first refusal may come when an exchange's completion cannot be made durable (its
        // request had gone); from then on nothing is forwarded.
        if within == 1 { #expect(harness.provider.requests.count == forwardedBefore) }
        forwardedBefore = harness.provider.requests.count
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

    /// The SQLite database is only the journal's index: another process holding its write lock
    /// does not stop exchanges (they are durable in the journal), and once the lock goes the
    /// index catches up and every record can be found.
    @Test func aLockedIndexDoesNotStopExchangesAndCatchesUp() async throws {
        try await ProxyHarness.with(audited: true) { harness in
            #expect(try await harness.send().status == 200)
            let lock = try SQLiteLockHolder(harness.auditPath!)
            var traces: [String] = []
            for _ in 0..<3 {
                let trace = UUID().uuidString
                traces.append(trace)
                #expect(try await harness.send(headers: harness.sspHeaders(traceID: trace)).status == 200)
            }
            lock.release()
            for trace in traces {
                #expect(try await stored(harness, trace: trace).map(\.outcome) == [.forwarded])
            }
            #expect(try await harness.auditStore!.verify(node: nil).isIntact)
        }
    }

    /// The same on PostgreSQL: another session holds an exclusive lock on the audit table; writes
    /// time out (`lock_timeout`), the proxy refuses, and recovers once the session is ended.
    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
    func lockedPostgresStoreMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await ScratchPostgres.withDatabase { url in
            try await ProxyHarness.with(auditDatabaseURL: url) { harness in
                var holder: BackgroundProgram?
                try await failsClosedThenRecovers(harness, fault: {
                    holder = try await ScratchPostgres.holdLock(url, "LOCK TABLE audit_record IN ACCESS EXCLUSIVE MODE")
                }, repair: {
                    holder?.terminate()
                    try await ScratchPostgres.endLockHolders(url)
                })
            }
        }
    }

    /// The journal's segment (and its folder) become immutable mid-traffic: its next write fails.
    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func readOnlyJournalMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await ProxyHarness.with(audited: true, auditFolder: disk.mountPoint) { harness in
                try await failsClosedThenRecovers(harness, fault: {
                    let node = harness.journalFolder!.appendingPathComponent("test-node")
                    let segments = try FileManager.default.contentsOfDirectory(atPath: node.path).map { node.appendingPathComponent($0).path }
                    try disk.makeReadOnly(segments + [node.path])
                }, repair: disk.makeWritable)
            }
        }
    }

    /// A full file system: the journal goes on in the space its segment was preallocated with,
    /// then cannot start the next one.
    @Test(.enabled(if: ScratchFilesystem.isAvailable, "mounting a scratch ext4 file system needs root and a loop device"))
    func fullDiskMidTrafficIs503WithNothingForwardedThenRecovers() async throws {
        try await withTemporaryDirectory { outer in
            let disk = try ScratchFilesystem(under: outer, sizeKiB: 8192)
            defer { disk.unmount() }
            try await ProxyHarness.with(audited: true, auditFolder: disk.mountPoint, journalSegmentBytes: 8 << 10) { harness in
                try await failsClosedThenRecovers(harness, within: 40, fault: { try disk.fill() }, repair: { try disk.removeFiller() })
            }
        }
    }
}
