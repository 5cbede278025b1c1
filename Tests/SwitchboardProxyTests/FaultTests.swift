import Foundation
import NIOConcurrencyHelpers
import NIOHTTP1
import SwitchboardApp
import SwitchboardAudit
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardProxy
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// Faults a national endpoint meets every day, each with real processes on loopback: what the
/// consumer gets, that the proxy goes on serving others, and that the audit store holds exactly
/// one record of the right kind for the exchange.
@Suite struct FaultTests {
    /// The finished record(s) of the exchange with `trace`, from the real audit store.
    static func records(_ harness: ProxyHarness, trace: String) async throws -> [ExchangeRecord] {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            let records = try await harness.auditStore!.exchanges(try AuditQuery(parameters: [("trace-id", trace)])).records
            if !records.isEmpty { return records }
            try await Task.sleep(for: .milliseconds(10))
        }
        return []
    }

    /// A slot search with `trace`, answered as the provider's `fault` says when the query asks for it.
    static func faultyOnDemand(_ fault: TestProvider.Action) -> @Sendable (TestProvider.ReceivedRequest) -> TestProvider.Action {
        { request in request.uri.contains("fault=1") ? fault : ProxyHarness.slotBundle(request) }
    }

    /// A normal slot search still goes through, with its record.
    static func stillServes(_ harness: ProxyHarness) async throws {
        let trace = UUID().uuidString
        let response = try await harness.send(headers: harness.sspHeaders(traceID: trace))
        #expect(response.status == 200, "the proxy goes on serving other exchanges")
        #expect(try await records(harness, trace: trace).map(\.outcome) == [.forwarded])
    }

    struct ProviderFault: Sendable, CustomTestStringConvertible {
        var name: String
        var action: TestProvider.Action
        var status: Int
        var outcome: ExchangeRecord.Outcome
        var testDescription: String { name }
    }

    static let providerFaults: [ProviderFault] = [
        ProviderFault(name: "accepts and never answers", action: .hang, status: 504, outcome: .upstreamTimeout),
        ProviderFault(name: "answers headers, then stalls", action: .stallAfter(status: 200, contentLength: 5000, prefix: Data(repeating: 65, count: 100)),
                      status: 504, outcome: .upstreamTimeout),
        ProviderFault(name: "resets mid-body", action: .resetAfter(status: 200, contentLength: 100_000, sent: 2000), status: 502, outcome: .upstreamFailed),
        ProviderFault(name: "answers with a status line that is not HTTP", action: .raw(Data("SSH-2.0-OpenSSH_9.2\r\n".utf8)), status: 502, outcome: .upstreamFailed),
        ProviderFault(name: "answers with a broken Content-Length", action: .raw(Data("HTTP/1.1 200 OK\r\nContent-Length: lots\r\n\r\n{}".utf8)),
                      status: 502, outcome: .upstreamFailed),
        ProviderFault(name: "answers with a broken chunk", action: .raw(Data("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n".utf8)),
                      status: 502, outcome: .upstreamFailed),
        ProviderFault(name: "answers with two Content-Lengths", action: .raw(Data("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}".utf8)),
                      status: 502, outcome: .upstreamFailed),
        ProviderFault(name: "closes before answering", action: .raw(Data()), status: 502, outcome: .upstreamFailed),
    ]

    @Test(arguments: providerFaults)
    func aFailingProviderIsAnsweredAndRecordedOnce(fault: ProviderFault) async throws {
        try await ProxyHarness.with(behaviour: Self.faultyOnDemand(fault.action), audited: true, configure: {
            // Short enough that the hanging providers are quick to test, long enough that a busy
            // machine answers the others in time.
            $0.proxy.upstream.responseTimeoutMilliseconds = 2_000
            $0.proxy.upstream.readTimeoutMilliseconds = 2_000
        }) { harness in
            let trace = UUID().uuidString
            let start = ContinuousClock.now
            let response = try await harness.send(.GET, "/Slot?status=free&fault=1", headers: harness.sspHeaders(traceID: trace))
            #expect(response.status == fault.status)
            #expect(response.headers["Content-Type"].first?.hasPrefix("application/fhir+json") == true, "an OperationOutcome, never the provider's fragment")
            #expect(start.duration(to: .now) < .seconds(10))
            let records = try await Self.records(harness, trace: trace)
            #expect(records.count == 1)
            #expect(records.first?.outcome == fault.outcome)
            #expect(records.first?.status == fault.status)
            try await Self.stillServes(harness)
        }
    }

    @Test func aProviderThatRefusesConnectionsIs502() async throws {
        try await ProxyHarness.with(audited: true) { harness in
            await harness.provider.shutdown()
            let trace = UUID().uuidString
            let response = try await harness.send(headers: harness.sspHeaders(traceID: trace))
            #expect(response.status == 502)
            #expect(response.headers["Strict-Transport-Security"] == ["max-age=31536000"], "on Switchboard's own answers")
            #expect(try await Self.records(harness, trace: trace).map(\.outcome) == [.upstreamFailed])
            let discovery = try await harness.send(.GET, "Endpoint?organization=https://fhir.nhs.uk/Id/ods-organization-code%7CA81001"
                                                  + "&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId%7C\(SampleDirectory.slotSearch.rawValue)", headers: [], base: "")
            #expect(discovery.status == 200, "the proxy goes on answering: \(discovery.body.prefix(400))")
        }
    }

    @Test(arguments: TestPKI.ProviderCertificateFault.allCases)
    func aProviderWithABadCertificateGetsNothing(fault: TestPKI.ProviderCertificateFault) async throws {
        try await ProxyHarness.with(audited: true, providerCertificate: fault) { harness in
            let trace = UUID().uuidString
            let response = try await harness.send(headers: harness.sspHeaders(traceID: trace))
            #expect(response.status == 502)
            #expect(harness.provider.requests.isEmpty, "no request reaches a provider whose certificate fails")
            let records = try await Self.records(harness, trace: trace)
            #expect(records.map(\.outcome) == [.upstreamFailed])
            #expect(records.first?.bytesOut == 0)
        }
    }

    @Test func retiringTheEndpointMidFlightLetsTheExchangeFinishAndRefusesTheNext() async throws {
        try await ProxyHarness.with(behaviour: { request in
            if request.uri.contains("slow=1") { Thread.sleep(forTimeInterval: 0.4) }
            return ProxyHarness.slotBundle(request)
        }, audited: true) { harness in
            let inFlightTrace = UUID().uuidString
            let inFlight = Task { try await harness.send(.GET, "/Slot?status=free&slow=1", headers: harness.sspHeaders(traceID: inFlightTrace)) }
            for _ in 0..<200 where harness.provider.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
            _ = try await harness.directory.apply([.retire(EntityRef(.endpoint, "S20001A100001")), .retire(EntityRef(.system, "918999198001"))],
                                                  author: ChangeAuthor(actor: "test", source: .api))
            #expect(try await inFlight.value.status == 200, "an exchange keeps the directory it started with")
            let laterTrace = UUID().uuidString
            let later = try await harness.send(headers: harness.sspHeaders(traceID: laterTrace))
            #expect((400..<500).contains(later.status), "refused once the endpoint is gone: \(later.status) \(later.token ?? "")")
            #expect(harness.provider.requests.count == 1, "nothing dialled for the refused exchange")
            #expect(try await Self.records(harness, trace: inFlightTrace).map(\.outcome) == [.forwarded])
            #expect(try await Self.records(harness, trace: laterTrace).map(\.outcome) == [.refused])
        }
    }

    @Test func aConsumerThatStopsUploadingIs499AndTheUpstreamIsCancelled() async throws {
        try await ProxyHarness.with(behaviour: { request in
            request.method == "POST" ? .respond(status: 201, headers: [], body: Data()) : ProxyHarness.slotBundle(request)
        }, audited: true) { harness in
            let trace = UUID().uuidString
            var headers = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write", traceID: trace)
            headers.append(("Content-Type", "application/fhir+json"))
            let partial = harness.rawRequest("POST", "/Appointment", extraHeaders: ["Content-Length: 100000"], headers: headers,
                                             body: String(repeating: "{", count: 1000))
            let start = ContinuousClock.now
            _ = try await RawClient.send(partial, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10),
                                         closeWhen: { start.duration(to: .now) > .milliseconds(300) })
            let records = try await Self.records(harness, trace: trace)
            #expect(records.map(\.status) == [499], "\(records.first?.refusalToken ?? "")")
            #expect(records.first?.outcome == .clientClosed)
            #expect(harness.provider.requests.isEmpty, "the half-sent booking never reached the provider as a whole request")
            try await Self.stillServes(harness)
        }
    }

    @Test func aConsumerThatStopsDownloadingIs499AndTheUpstreamIsCancelled() async throws {
        try await ProxyHarness.with(behaviour: { request in
            request.uri.contains("big=1") ? .stream(status: 200, totalBytes: 40_000_000, chunkBytes: 65_536, chunked: false) : ProxyHarness.slotBundle(request)
        }, audited: true) { harness in
            let trace = UUID().uuidString
            let reply = try await RawClient.send(Array(harness.rawRequest("GET", "/Slot?status=free&big=1", headers: harness.sspHeaders(traceID: trace)).utf8),
                                                 port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10), closeAfterReceiving: 300_000)
            #expect(reply.status == 200)
            let records = try await Self.records(harness, trace: trace)
            #expect(records.map(\.status) == [499])
            #expect(records.first?.outcome == .clientClosed)
            #expect((records.first?.bytesOut ?? .max) < 40_000_000)
            for _ in 0..<200 where harness.provider.closedConnections == 0 { try await Task.sleep(for: .milliseconds(10)) }
            #expect(harness.provider.closedConnections >= 1, "the upstream download was abandoned")
            try await Self.stillServes(harness)
        }
    }

    /// A booking whose answer never arrives whole (connection closed, reset mid-answer, no answer
    /// in time) is answered 502/504 and never sent again: one POST in, one POST delivered.
    @Test func aBookingIsDeliveredOnceWhateverTheProviderDoes() async throws {
        let faults: [TestProvider.Action] = [.raw(Data()), .resetAfter(status: 201, contentLength: 5000, sent: 100), .hang,
                                             .raw(Data("HTTP/1.1 201 Created\r\nContent-Length: 9\r\n\r\n{".utf8))]
        let next = NIOLockedValueBox(0)
        try await ProxyHarness.with(behaviour: { request in
            guard request.method == "POST" else { return ProxyHarness.slotBundle(request) }
            return next.withLockedValue { index in
                defer { index += 1 }
                return faults[index % faults.count]
            }
        }, audited: true, configure: {
            // Long enough that a loaded machine still connects and sends within it (the `hang`
            // case waits it out), short enough to keep the test quick.
            $0.proxy.upstream.responseTimeoutMilliseconds = 3000
            $0.proxy.upstream.readTimeoutMilliseconds = 3000
        }) { harness in
            var headers = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write")
            headers.append(("Content-Type", "application/fhir+json"))
            var statuses: [Int] = []
            for _ in faults {
                statuses.append(try await harness.send(.POST, "/Appointment", headers: headers, body: Data(#"{"resourceType":"Appointment"}"#.utf8)).status)
            }
            #expect(statuses == [502, 502, 504, 502])
            // Nothing more arrives later (no retry): give a late copy time to show up, then count.
            let deadline = ContinuousClock.now + .seconds(1)
            while ContinuousClock.now < deadline, harness.provider.requests.filter({ $0.method == "POST" }).count <= faults.count {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(harness.provider.requests.filter { $0.method == "POST" }.count == faults.count, "each booking delivered exactly once")
            try await Self.stillServes(harness)
        }
    }

    /// Connections beyond the cap are closed on accept; those within it are served, and once the
    /// crowd goes the proxy takes new connections again.
    @Test func connectionsBeyondTheCapAreClosedAndServiceRecovers() async throws {
        try await ProxyHarness.with(audited: true, configure: { $0.proxy.limits.maxConnections = 20 }) { harness in
            let crowd = try (0..<20).map { _ in try PlainSocket(port: harness.port) }
            for _ in 0..<100 where harness.server.connectionCount < 20 { try await Task.sleep(for: .milliseconds(10)) }
            let refused = try await RawClient.send(Array(harness.rawRequest().utf8), port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(refused.status == nil && (refused.closedByServer || refused.error != nil), "the 21st connection is closed on accept")
            crowd.forEach { $0.close() }
            // Each attempt gives up after a few seconds, so that one connection the proxy closed
            // while it still counted the crowd cannot use up the whole wait; the wait is long
            // enough for a machine busy with the rest of the suite.
            let deadline = ContinuousClock.now + .seconds(20)
            var served = false
            var lastAttempt = "none"
            while !served, ContinuousClock.now < deadline {
                do {
                    let status = try await harness.send(timeout: .seconds(3)).status
                    served = status == 200
                    lastAttempt = "status \(status)"
                } catch {
                    lastAttempt = "\(error)"
                }
                if !served { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(served, "served again after the crowd left (connections still counted: \(harness.server.connectionCount); last attempt: \(lastAttempt))")
        }
    }

    /// 1,000 connections that never finish a handshake and 50 that trickle headers, while normal
    /// consumers are served as usual (within a second, or four times the same exchanges without
    /// the crowd on a machine loaded by other work); the slow ones are closed at their timeouts.
    @Test func slowClientsDoNotStarveOthers() async throws {
        try SocketLimit.raise(to: 8192)
        try await ProxyHarness.with(audited: true, configure: {
            $0.proxy.limits.handshakeTimeoutMilliseconds = 1_500
            $0.proxy.limits.headerTimeoutMilliseconds = 1_500
        }) { harness in
            // The same exchanges without the crowd, on this machine as loaded now: a machine busy
            // with other work slows every exchange, and that is not starvation.
            var control: [Duration] = []
            for _ in 0..<10 {
                let start = ContinuousClock.now
                #expect(try await harness.send().status == 200)
                control.append(start.duration(to: .now))
            }
            let idle = try (0..<1_000).map { _ in try PlainSocket(port: harness.port) }
            let trickling = try await withThrowingTaskGroup(of: SlowTLSClient.self) { group in
                for _ in 0..<50 { group.addTask { try await SlowTLSClient(port: harness.port, tls: harness.consumerTLS) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            // On a slow machine opening 1,050 connections outlasts the header timeout, and the proxy
            // has already closed some of these (what the test expects of them): their write fails.
            for client in trickling { try? await client.send("GET /\(harness.practiceAddress)/Slot HTTP/1.1\r\nSsp-From: 2000") }
            var durations: [Duration] = []
            for _ in 0..<20 {
                let start = ContinuousClock.now
                let trace = UUID().uuidString
                #expect(try await harness.send(headers: harness.sspHeaders(traceID: trace)).status == 200)
                durations.append(start.duration(to: .now))
            }
            let worst = durations.max() ?? .zero
            let bound = max(.seconds(1), (control.max() ?? .zero) * 4)
            #expect(worst < bound, "a normal exchange took \(worst) while 1,050 slow clients were connected (all: \(durations.map { $0.formatted(.units(allowed: [.milliseconds])) }); without them: \(control.map { $0.formatted(.units(allowed: [.milliseconds])) }))")
            // Both kinds are closed at their timeouts; wait for that rather than for a fixed time.
            await eventually {
                guard idle.allSatisfy({ !$0.isOpen }) else { return false }
                for client in trickling where await client.isOpen { return false }
                return true
            }
            let stillOpen = idle.filter { $0.isOpen }.count
            #expect(stillOpen == 0, "\(stillOpen) connections that never handshook are still open after the handshake timeout")
            var tricklingOpen = 0
            for client in trickling where await client.isOpen { tricklingOpen += 1 }
            #expect(tricklingOpen == 0, "\(tricklingOpen) connections trickling headers are still open after the header timeout")
            idle.forEach { $0.close() }
            for client in trickling { await client.close() }
            try await Self.stillServes(harness)
        }
    }
}
