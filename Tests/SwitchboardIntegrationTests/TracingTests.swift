import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// `switchboard serve` with `tracing.exporter: otlp`: each exchange sends its span tree to an
/// OTLP/HTTP collector (a loopback receiver here), as a child of the consumer's `traceparent`,
/// and the provider is sent a `traceparent` naming the `forward` span.
@Suite("OpenTelemetry traces")
struct TracingTests {
    @Test("a slot search's spans: exchange under the consumer's traceparent, each admission phase, forward and audit beneath it; the provider gets the forward span as parent")
    func slotSearchSpanTree() async throws {
        let receiver = try await OTLPReceiver()
        defer { Task { await receiver.shutdown() } }
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, provider in
            var config = try String(contentsOf: workspace.config, encoding: .utf8)
            config = config.replacingOccurrences(of: "logging: {level: warning}", with: "logging: {level: info}")
            config += "\ntracing: {exporter: otlp, endpoint: '\(receiver.endpoint)', protocol: http/json, exportIntervalMilliseconds: 100}\n"
            try config.write(to: workspace.config, atomically: true, encoding: .utf8)
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await waitUntilListening(workspace.port)

            let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
            let consumerSpan = "00f067aa0ba902b7"
            let status = try await workspace.withClient { client in
                var request = workspace.request()
                request.headers.add(name: "traceparent", value: "00-\(traceID)-\(consumerSpan)-01")
                let response = try await client.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                return Int(response.status.code)
            }
            #expect(status == 200)
            let arrived = await eventually(timeout: .seconds(15)) {
                receiver.spans.filter { $0.traceID == traceID }.count >= 8
            }
            let spans = receiver.spans.filter { $0.traceID == traceID }
            let log = (try? String(contentsOf: workspace.folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
            #expect(arrived, "spans received: \(receiver.spans.map(\.name)); serve.log: \(log)")
            let exchange = try #require(spans.first { $0.name == "exchange" })
            #expect(exchange.parentSpanID == consumerSpan, "the consumer's span is the exchange's parent")
            #expect(exchange.attributes["sb.from.asid"] == "200000000359")
            #expect(exchange.attributes["sb.to.asid"] == "918999198001")
            #expect(exchange.attributes["sb.interaction"] == "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1")
            #expect(exchange.attributes["http.response.status_code"] == "200")
            #expect(exchange.attributes["sb.outcome"] == "forwarded")
            let children = spans.filter { $0.parentSpanID == exchange.spanID }
            #expect(Set(children.map(\.name)) == ["identify", "validate", "authorise", "route", "throttle", "forward", "audit"], "\(children.map(\.name))")
            let phases = ["identify", "validate", "authorise", "route", "throttle"].compactMap { name in children.first { $0.name == name } }
            #expect(zip(phases, phases.dropFirst()).allSatisfy { $0.endNanoseconds <= $1.startNanoseconds }, "the phases run in the SSP's order")
            for child in children {
                #expect(child.startNanoseconds >= exchange.startNanoseconds && child.endNanoseconds <= exchange.endNanoseconds,
                        "\(child.name) lies within the exchange")
            }
            let forward = try #require(children.first { $0.name == "forward" })
            #expect(provider.requests.last?.header("traceparent") == ["00-\(traceID)-\(forward.spanID)-01"],
                    "the provider's request names the forward span: \(provider.requests.last?.header("traceparent") ?? [])")
            let stopped = await workspace.stop(server)
            #expect(stopped, "serve did not stop on SIGTERM: \((try? String(contentsOf: workspace.folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "")")
        }
    }
}
