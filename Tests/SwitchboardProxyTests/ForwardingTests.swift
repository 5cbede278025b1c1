import SwitchboardApp
import SwitchboardProxy
import SwitchboardDirectory
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardAudit
import SwitchboardCore
import SwitchboardSimulator
import SwitchboardHarness
import SwitchboardTesting
import Testing

@Suite struct ForwardingTests {
    @Test func slotSearchIsForwardedWithEveryHeaderCheckedOnBothSides() async throws {
        try await ProxyHarness.with { harness in
            let traceID = UUID().uuidString
            var headers = harness.sspHeaders(traceID: traceID)
            headers += [("Connection", "X-Consumer-Hop"), ("X-Consumer-Hop", "drop"), ("Proxy-Authorization", "Basic eA=="),
                        ("X-Forwarded-For", "203.0.113.9"), ("X-Request-ID", "consumer-chosen"), ("X-Custom-End-To-End", "kept")]
            let query = "/Slot?status=free&start=ge2026-11-27&end=le2026-12-04&_include=Slot:schedule&searchFilter=https://fhir.nhs.uk/Id/ods-organization-code%7CRYE"
            let response = try await harness.send(.GET, query, headers: headers)
            #expect(response.status == 200)
            #expect(response.body.contains("\"resourceType\""))

            let seen = try #require(harness.provider.requests.first)
            #expect(seen.method == "GET")
            #expect(seen.uri == "/A81001/STU3/1/gpconnect" + query)
            for (name, value) in harness.sspHeaders(traceID: traceID) where name != "Authorization" {
                #expect(seen.header(name) == [value], "\(name)")
            }
            #expect(seen.header("Authorization").first?.hasPrefix("Bearer ") == true)
            #expect(seen.header("X-Custom-End-To-End") == ["kept"])
            #expect(seen.header("X-Consumer-Hop").isEmpty)
            #expect(seen.header("Proxy-Authorization").isEmpty)
            #expect(seen.header("X-Forwarded-For") == ["127.0.0.1"])
            #expect(seen.header("Forwarded").first?.hasPrefix("for=127.0.0.1;proto=https;host=") == true)
            let requestID = try #require(seen.header("X-Request-ID").first)
            #expect(requestID != "consumer-chosen")
            #expect(seen.header("X-Correlation-ID") == [traceID])

            #expect(response.headers["X-Request-ID"] == [requestID])
            #expect(response.headers["Ssp-TraceID"] == [traceID])
            #expect(response.headers["Cache-Control"] == ["no-store"])
            #expect(response.headers["X-Provider-Hop"].isEmpty)
            #expect(response.headers["Keep-Alive"].isEmpty)

            let record = try #require(await harness.record(traceID: traceID))
            #expect(record.id.uuidString.lowercased() == requestID)
            #expect(record.outcome == .forwarded)
            #expect(record.status == 200)
            #expect(record.fromASID == SampleDirectory.consumerASID)
            #expect(record.fromODS?.rawValue == "RYE")
            #expect(record.toASID == SampleDirectory.practiceASID)
            #expect(record.toODS == SampleDirectory.practiceODS)
            #expect(record.interaction == SampleDirectory.slotSearch)
            #expect(record.certificateFQDN == SampleDirectory.consumerFQDN)
            #expect(record.requestingParty.userID == "111222333444")
            #expect(record.requestingParty.organisationODS == "RYE")
            #expect(record.resourceType == "Slot")
            #expect(record.bytesOut == Int64(response.body.utf8.count))
            #expect(record.responseBodySHA256?.count == 64)
            #expect(harness.recorder.opened.contains(record.id))
        }
    }

    @Test func bookingIsForwardedWithItsBody() async throws {
        let examples = GPConnectExamples(practice: GPConnectExamples.samplePractice)
        let bookResponse = try examples.bookingResponse()
        try await ProxyHarness.with(behaviour: { request in
            .respond(status: 201, headers: [("Content-Type", "application/fhir+json"), ("Location", "Appointment/148"), ("ETag", "W/\"1\"")], body: bookResponse)
        }) { harness in
            let book = try examples.bookingRequest()
            let traceID = UUID().uuidString
            var headers = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write", traceID: traceID)
            headers.append(("Content-Type", "application/fhir+json"))
            let response = try await harness.send(.POST, "/Appointment", headers: headers, body: book)
            #expect(response.status == 201)
            #expect(response.headers["Location"] == ["Appointment/148"])
            let seen = try #require(harness.provider.requests.first)
            #expect(seen.method == "POST")
            #expect(seen.body == book)
            let record = try #require(await harness.record(traceID: traceID))
            #expect(record.bytesIn == Int64(book.count))
            #expect(record.requestBodySHA256?.count == 64)
            #expect(record.responseLocation == "Appointment/148")
            #expect(record.responseETag == "W/\"1\"")
            #expect(record.resourceType == "Appointment")
        }
    }

    /// A provider that sends a piece of its answer and then pauses: the consumer has all of the
    /// piece but its last byte during the pause (only the end waits for the durable record).
    @Test func aPieceSentBeforeAPauseReachesTheConsumerDuringThePause() async throws {
        let piece = 96 * 1024
        try await ProxyHarness.with(behaviour: { request in
            request.uri.contains("pause=1")
                ? .stallAfter(status: 200, contentLength: 200_000, prefix: Data(repeating: UInt8(ascii: "a"), count: piece))
                : ProxyHarness.slotBundle(request)
        }, audited: true) { harness in
            let request = Array(harness.rawRequest("GET", "/Slot?status=free&pause=1", headers: harness.sspHeaders()).utf8)
            let bodyBytes: @Sendable ([UInt8]) -> Int = { bytes in
                guard let end = bytes.firstRange(of: Array("\r\n\r\n".utf8)) else { return 0 }
                return bytes.count - end.upperBound
            }
            let reply = try await RawClient.send(request, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10),
                                                 closeOnReceiving: { bodyBytes($0) >= piece - 1 })
            #expect(reply.status == 200)
            #expect(bodyBytes(Array(reply.text.utf8)) == piece - 1, "all but the last byte of the piece, before the provider goes on")
            #expect(!reply.closedByServer)
        }
    }

    @Test func chunkedRequestBodyIsStreamed() async throws {
        try await ProxyHarness.with(behaviour: { _ in .respond(status: 201, headers: [], body: Data()) }) { harness in
            let raw = harness.rawRequest("POST", "/Appointment",
                                         extraHeaders: ["Transfer-Encoding: chunked", "Content-Type: application/fhir+json", "Connection: close"],
                                         headers: harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write"),
                                         body: "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
            // The proxy closes after answering (Connection: close), so the reply ends then; the
            // deadline is only for a proxy that never answers.
            let reply = try await RawClient.send(raw, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(30))
            #expect(reply.status == 201)
            #expect(harness.provider.requests.first.map { String(decoding: $0.body, as: UTF8.self) } == "hello world")
        }
    }

    @Test func keepAliveCarriesSeveralExchanges() async throws {
        try await ProxyHarness.with { harness in
            for _ in 0..<5 {
                let status1 = try await harness.send().status
                #expect(status1 == 200)
            }
            #expect(harness.provider.requests.count == 5)
            #expect(harness.recorder.completed.count == 5)
        }
    }

    /// A generic FHIR client's collapsed `https:/host` target is the same exchange, forwarded to
    /// and recorded as the normalised URL; with the setting off it is refused as before.
    /// Upstream connections are kept alive and reused: a run of exchanges on one consumer
    /// connection does not open a provider connection (and make a TLS handshake) for each.
    @Test func upstreamConnectionsAreReused() async throws {
        try await ProxyHarness.with { harness in
            for _ in 0..<10 {
                let status = try await harness.send().status
                #expect(status == 200)
            }
            #expect(harness.provider.openedConnections <= 2, "\(harness.provider.openedConnections) provider connections for 10 exchanges")
            #expect(harness.provider.closedConnections == 0)
        }
    }

    @Test func collapsedSchemeIsForwardedAsTheSameTarget() async throws {
        try await ProxyHarness.with(behaviour: ProxyHarness.slotBundle) { harness in
            let collapsed = "/" + harness.practiceAddress.replacingOccurrences(of: "https://", with: "https:/")
            let trace = UUID().uuidString
            let reply = try await RawClient.send(Array(harness.rawRequest(headers: harness.sspHeaders(traceID: trace))
                .replacingOccurrences(of: "/\(harness.practiceAddress)/", with: "\(collapsed)/").utf8),
                port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10))
            #expect(reply.status == 200)
            let record = try #require(await harness.record(traceID: trace))
            #expect(record.targetURL == "\(harness.practiceAddress)/Slot?status=free")
            #expect(harness.provider.requests.first?.uri == "/A81001/STU3/1/gpconnect/Slot?status=free")
        }
        try await ProxyHarness.with(configure: { $0.proxy.checks.acceptCollapsedTargetScheme = false }) { harness in
            let collapsed = "/" + harness.practiceAddress.replacingOccurrences(of: "https://", with: "https:/")
            let reply = try await RawClient.send(Array(harness.rawRequest().replacingOccurrences(of: "/\(harness.practiceAddress)/", with: "\(collapsed)/").utf8),
                                                 port: harness.port, tls: harness.consumerTLS, timeout: .seconds(10))
            #expect(reply.status == 400)
            #expect(reply.text.contains("INVALID_TARGET_URL_NOT_SSP_FORM"))
            #expect(harness.provider.requests.isEmpty)
        }
    }

    @Test func statusAndCORSPreflight() async throws {
        try await ProxyHarness.with(configure: { $0.proxy.cors.allowedOrigins = ["https://111.example.nhs.uk"] }) { harness in
            var status = HTTPClientRequest(url: "https://localhost:\(harness.port)/_status")
            status.method = .GET
            let statusResponse = try await harness.client.execute(status, timeout: .seconds(5))
            #expect(statusResponse.status == .ok)

            let preflight = harness.rawRequest("OPTIONS", "/Slot", headers: [
                ("Origin", "https://111.example.nhs.uk"), ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "ssp-traceid, ssp-from"),
            ])
            let reply = try await RawClient.send(preflight, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(5))
            #expect(reply.status == 204)
            #expect(reply.text.contains("Access-Control-Allow-Origin: https://111.example.nhs.uk"))
            #expect(reply.text.contains("Access-Control-Allow-Methods: GET, POST, PUT, DELETE, PATCH, OPTIONS"))

            let refused = harness.rawRequest("OPTIONS", "/Slot", headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "GET")])
            let refusedReply = try await RawClient.send(refused, port: harness.port, tls: harness.consumerTLS, timeout: .seconds(5))
            #expect(refusedReply.status == 403)
            #expect(refusedReply.text.contains("CORS_ORIGIN_NOT_ALLOWED"))
            #expect(harness.provider.requests.isEmpty)
        }
    }
}
