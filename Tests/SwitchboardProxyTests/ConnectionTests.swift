import NIOHTTP1
import SwitchboardApp
import SwitchboardProxy
import SwitchboardDirectory
import SwitchboardCore
import Foundation
import NIOCore
import SwitchboardAudit
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// The listener's own rules: framing, size limits, plain HTTP, slow clients.
@Suite struct ConnectionTests {
    @Test func oversizedHeaderFieldIs431() async throws {
        try await ProxyHarness.with { harness in
            let raw = harness.rawRequest(extraHeaders: ["X-Padding: " + String(repeating: "a", count: 17 * 1024)])
            let reply = try await RawClient.send(raw, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(reply.status == 431)
            #expect(reply.text.contains("REQUEST_HEADER_FIELDS_TOO_LARGE"))
            #expect(reply.closedByServer)
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func tooManyHeadersAndTooLargeInTotalAre431() async throws {
        try await ProxyHarness.with { harness in
            let many = harness.rawRequest(extraHeaders: (0..<120).map { "X-H\($0): v" })
            let status1 = try await RawClient.send(many, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15)).status
            #expect(status1 == 431)
            let large = harness.rawRequest(extraHeaders: (0..<5).map { "X-Big\($0): " + String(repeating: "b", count: 8 * 1024) })
            let status2 = try await RawClient.send(large, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15)).status
            #expect(status2 == 431)
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func bodyOverTheLimitIs413() async throws {
        try await ProxyHarness.with(configure: { $0.proxy.limits.maxBodyBytes = 1024 }) { harness in
            let raw = harness.rawRequest("POST", "/Appointment", extraHeaders: ["Content-Length: 4096"],
                                         headers: harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write"),
                                         body: String(repeating: "x", count: 4096))
            let reply = try await RawClient.send(raw, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(reply.status == 413)
            #expect(reply.text.contains("REQUEST_BODY_TOO_LARGE"))
            #expect(harness.provider.requests.isEmpty)

            let chunked = harness.rawRequest("POST", "/Appointment", extraHeaders: ["Transfer-Encoding: chunked"],
                                             headers: harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write"),
                                             body: "800\r\n" + String(repeating: "y", count: 2048) + "\r\n0\r\n\r\n")
            let chunkedReply = try await RawClient.send(chunked, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(chunkedReply.status == 413)
        }
    }

    @Test(arguments: [
        ("both Content-Length and Transfer-Encoding", ["Content-Length: 5", "Transfer-Encoding: chunked"], "0\r\n\r\n"),
        ("two Content-Lengths", ["Content-Length: 5", "Content-Length: 6"], "hello"),
        ("Content-Length list", ["Content-Length: 5, 6"], "hello"),
        ("unknown transfer coding", ["Transfer-Encoding: xchunked"], "0\r\n\r\n"),
        ("obs-fold", ["X-Folded: one", " two"], ""),
    ])
    func smugglingShapedRequestsAreRefusedAndNothingIsForwarded(_ name: String, _ headers: [String], _ body: String) async throws {
        try await ProxyHarness.with { harness in
            let raw = harness.rawRequest("POST", "/Appointment", extraHeaders: headers,
                                         headers: harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write"), body: body)
            let reply = try await RawClient.send(raw, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(reply.status == 400, "\(name): \(reply.text.prefix(200))")
            #expect(reply.closedByServer, "\(name)")
            #expect(harness.provider.requests.isEmpty, "\(name)")
        }
    }

    @Test func plainHTTPOnTheTLSPortIs497() async throws {
        try await ProxyHarness.with { harness in
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: nil, timeout: .seconds(15))
            #expect(reply.status == 497)
            #expect(reply.text.contains("HTTP_REQUEST_SENT_TO_HTTPS_PORT"))
            #expect(reply.closedByServer)
            #expect(await harness.recorder.waitForCompleted(1).first?.status == 497)
        }
    }

    @Test func slowClientsAreClosed() async throws {
        try await ProxyHarness.with(configure: {
            $0.proxy.limits.handshakeTimeoutMilliseconds = 300
            $0.proxy.limits.headerTimeoutMilliseconds = 300
        }) { harness in
            let silent = ContinuousClock.now
            let idle = try await RawClient.send([], port: harness.port, tls: nil, timeout: .seconds(15))
            #expect(idle.closedByServer)
            #expect(silent.duration(to: .now) < .seconds(5))

            let start = ContinuousClock.now
            let partial = try await RawClient.send("GET /\(harness.practiceAddress)/Slot HTTP/1.1\r\nHost: x\r\nSsp-From: 2", port: harness.port,
                                                   tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(partial.closedByServer)
            #expect(start.duration(to: .now) < .seconds(5))
            #expect(harness.provider.requests.isEmpty)
        }
    }
}

/// What happens when the provider fails, or the consumer goes away.
@Suite struct UpstreamFailureTests {
    @Test func providerDownIs502() async throws {
        try await ProxyHarness.with { harness in
            let closedPort = try await freePort()
            try await harness.directory.apply([.update(.endpoint(harness.directory.snapshot.tables.endpoints.values.first { $0.ods == SampleDirectory.practiceODS }!
                .with(address: "https://localhost:\(closedPort)/A81001/STU3/1/gpconnect")))], author: .init(actor: "test", source: .api))
            let base = "https://localhost:\(closedPort)/A81001/STU3/1/gpconnect"
            var headers = harness.sspHeaders()
            headers.removeAll { $0.0 == "Authorization" }
            headers.append(("Authorization", TestJWT(audience: base).authorization))
            let response = try await harness.send(.GET, "/Slot", headers: headers, base: base)
            #expect(response.status == 502)
            #expect(response.token == "ERROR_COMMUNICATING_TO_ENDPOINT_URL_\(base)/Slot")
            #expect(await harness.recorder.waitForCompleted(1).first?.outcome == .upstreamFailed)
        }
    }

    @Test func providerThatNeverAnswersIs504() async throws {
        try await ProxyHarness.with(behaviour: { _ in .hang }, configure: { $0.proxy.upstream.responseTimeoutMilliseconds = 300 }) { harness in
            let start = ContinuousClock.now
            let response = try await harness.send()
            #expect(response.status == 504)
            #expect(response.token?.hasPrefix("TIMEOUT_COMMUNICATING_TO_ENDPOINT_URL_") == true)
            #expect(start.duration(to: .now) < .seconds(3))
            #expect(await harness.recorder.waitForCompleted(1).first?.outcome == .upstreamTimeout)
        }
    }

    @Test func providerResetEarlyInTheBodyIs502() async throws {
        // Nothing has reached the consumer yet (the first 64 KiB are gathered), so it gets a clean refusal.
        try await ProxyHarness.with(behaviour: { _ in .resetAfter(status: 200, contentLength: 100_000, sent: 1000) }) { harness in
            let response = try await harness.send()
            #expect(response.status == 502)
            #expect(response.token?.hasPrefix("ERROR_COMMUNICATING_TO_ENDPOINT_URL_") == true || response.token?.hasPrefix("UPSTREAM") == true,
                    "token \(response.token ?? "none")")
            #expect(await harness.recorder.waitForCompleted(1).first?.status == 502)
        }
    }

    @Test func providerResetLateInTheBodyIsAVisiblyBrokenResponse() async throws {
        try await ProxyHarness.with(behaviour: { _ in .resetAfter(status: 200, contentLength: 300_000, sent: 150_000) }) { harness in
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(reply.status == 200)
            #expect(reply.text.contains("Content-Length: 300000"))
            #expect(reply.closedByServer)
            let body = reply.text.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            #expect(body.utf8.count < 300_000)
            let record = await harness.recorder.waitForCompleted(1).first
            #expect(record?.outcome == .upstreamFailed)
            #expect(record?.refusalRule == "UPSTREAM_BODY_INCOMPLETE")
        }
    }

    @Test func providerStallingEarlyInTheBodyIs504() async throws {
        try await ProxyHarness.with(behaviour: { _ in .stallAfter(status: 200, contentLength: 5000, prefix: Data(repeating: 65, count: 100)) },
                                    configure: { $0.proxy.upstream.readTimeoutMilliseconds = 300 }) { harness in
            let start = ContinuousClock.now
            let response = try await harness.send()
            #expect(response.status == 504)
            #expect(start.duration(to: .now) < .seconds(3))
            #expect(await harness.recorder.waitForCompleted(1).first?.outcome == .upstreamTimeout)
        }
    }

    @Test func providerStallingLateInTheBodyIsCutOff() async throws {
        try await ProxyHarness.with(behaviour: { _ in .stallAfter(status: 200, contentLength: 200_000, prefix: Data(repeating: 65, count: 100_000)) },
                                    configure: { $0.proxy.upstream.readTimeoutMilliseconds = 1_000 }) { harness in
            let reply = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: harness.consumerTLS, timeout: .seconds(15))
            #expect(reply.status == 200)
            #expect(reply.closedByServer)
            #expect(await harness.recorder.waitForCompleted(1).first?.outcome == .upstreamFailed)
        }
    }

    @Test func consumerDisconnectIsRecordedAs499AndCancelsTheUpstreamRequest() async throws {
        try await ProxyHarness.with(behaviour: { _ in .hang }) { harness in
            let provider = harness.provider
            _ = try await RawClient.send(harness.rawRequest(), port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10),
                                         closeWhen: { provider.requests.count == 1 })
            let record = await harness.recorder.waitForCompleted(1).first
            #expect(record?.status == 499)
            #expect(record?.outcome == .clientClosed)
            for _ in 0..<100 where harness.provider.closedConnections == 0 { try await Task.sleep(for: .milliseconds(20)) }
            #expect(harness.provider.requests.count == 1)
            #expect(harness.provider.closedConnections >= 1)
        }
    }
}

extension Endpoint {
    func with(address: String) -> Endpoint {
        var copy = self
        copy.address = try! EndpointAddress(validating: address)
        copy.fqdn = copy.address.host
        return copy
    }
}

/// A loopback port nothing listens on.
func freePort() async throws -> Int {
    let socket = try ServerSocketProbe()
    return socket.port
}

/// Binds an ephemeral port and closes it again.
struct ServerSocketProbe {
    let port: Int
    init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = Int(UInt16(bigEndian: address.sin_port))
        close(fd)
    }
}
