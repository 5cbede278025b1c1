import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Synchronization
import Testing

/// Runs the real `switchboard serve` process.
@Suite struct ServeCommandTests {
    @Test func fiftyMegabyteResponseStreamsWithBoundedMemory() async throws {
        let fifty = 50 * 1024 * 1024
        try await ServeWorkspace.with(behaviour: { request in
            request.uri.hasSuffix("/metadata") ? .stream(status: 200, totalBytes: fifty, chunkBytes: 64 * 1024, chunked: false)
                : .respond(status: 200, headers: [], body: Data("{}".utf8))
        }) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate() }
            try await workspace.withClient { client in
                try await waitUntilListening(workspace.port)
                let warm = try await client.execute(workspace.request("/Slot"), timeout: .seconds(10))
                #expect(warm.status == .ok)
                _ = try await warm.body.collect(upTo: 1 << 20)
                let before = try peakResidentKiB(server.processIdentifier)

                let response = try await client.execute(workspace.request("/metadata", interaction: SampleDirectory.metadata), timeout: .seconds(60))
                #expect(response.status == .ok)
                var received = 0
                for try await chunk in response.body { received += chunk.readableBytes }
                #expect(received == fifty)
                let after = try peakResidentKiB(server.processIdentifier)
                #expect(after - before < 20 * 1024, "peak resident grew by \(after - before) KiB streaming 50 MiB")
            }

            if await workspace.stop(server) {
                #expect(server.terminationStatus == 0)
            } else {
                Issue.record("switchboard serve did not stop within 20 s of SIGTERM")
            }
        }
    }

    /// `switchboard --version`, the proxy's `/_status` and `/metrics` all name the same build.
    @Test func buildInformationIsReportedEverywhere() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let version = try await workspace.cli.run("--version")
            #expect(version.status == 0)
            let line = version.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let pattern = /switchboard (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}(-modified)?|unknown), built (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), Swift (\d+\.\d+(\.\d+)?)\)/
            let match = try #require(line.wholeMatch(of: pattern), "\(line)")

            let server = try workspace.startServer()
            defer { server.terminate() }
            try await workspace.withClient { client in
                try await waitUntilListening(workspace.port)
                try await waitUntilListening(workspace.managementPort)
                let status = try await client.execute(HTTPClientRequest(url: "https://localhost:\(workspace.port)/_status"), timeout: .seconds(10))
                let body = try await status.body.collect(upTo: 1 << 16)
                let fields = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: String])
                #expect(fields["status"] == "ok")
                #expect(fields["node"] == "serve-test")
                #expect(fields["version"] == String(match.1))
                #expect(fields["commit"] == String(match.2))
                #expect(fields["builtAt"] == String(match.4))
                #expect(fields["swiftVersion"] == String(match.5))

                let metrics = try await client.execute(HTTPClientRequest(url: "https://localhost:\(workspace.managementPort)/metrics"), timeout: .seconds(10))
                let text = String(buffer: try await metrics.body.collect(upTo: 4 << 20))
                #expect(text.contains("switchboard_build_info{version=\"\(match.1)\",commit=\"\(match.2)\",built_at=\"\(match.4)\",swift_version=\"\(match.5)\"} 1"),
                        "\(text.split(separator: "\n").filter { $0.contains("build_info") })")
            }
            #expect(await workspace.stop(server), "switchboard serve did not stop within 20 s of SIGTERM")
        }
    }

    /// One exchange's id is the same lower-case text in `X-Request-ID`, the JSON log line, the
    /// audit JSON, CSV and FHIR exports and the database; its log line carries the trace id,
    /// ASIDs, interaction, status and duration as fields.
    @Test func oneSpellingOfTheExchangeIDEverywhere() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            var cli = workspace.cli
            cli.environment["SWITCHBOARD_LOGGING_FORMAT"] = "json"
            cli.environment["SWITCHBOARD_LOGGING_LEVEL"] = "info"
            let log = workspace.folder.appendingPathComponent("serve-json.log")
            let server = try cli.start(["serve", "--config", workspace.config.path], log: log)
            defer { server.terminate() }
            let trace = UUID().uuidString.lowercased()
            let id = try await workspace.withClient { client in
                try await waitUntilListening(workspace.port)
                let response = try await client.execute(workspace.request(traceID: trace), timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                #expect(response.status == .ok)
                return try #require(response.headers.first(name: "X-Request-ID"))
            }
            server.terminate()
            server.waitUntilExit()
            #expect(id == id.lowercased() && UUID(uuidString: id) != nil)

            let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
            let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            #expect(objects.count == lines.count, "every log line is a JSON object: \(lines.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil })")
            let exchange = try #require(objects.first { $0["sb.exchange.id"] as? String == id && $0["message"] as? String == "exchange" }, "\(lines)")
            #expect(exchange["sb.trace.id"] as? String == trace)
            #expect(exchange["sb.from.asid"] as? String == "200000000359")
            #expect(exchange["sb.to.asid"] as? String == "918999198001")
            #expect(exchange["sb.interaction"] as? String == SampleDirectory.slotSearch.rawValue)
            #expect(exchange["sb.status"] as? String == "200")
            #expect(Int(exchange["sb.duration.us"] as? String ?? "") ?? 0 > 0)
            #expect((exchange["time"] as? String)?.hasSuffix("Z") == true)

            let config = ["--config", workspace.config.path]
            let json = try await workspace.cli.run(["audit", "show", id] + config)
            #expect(json.output.contains("\"id\" : \"\(id)\""))
            #expect(json.output.contains("\"receivedAt\" : \""), "\(json.output)")
            let csv = try await workspace.cli.run(["audit", "query", "--trace-id", trace, "--format", "csv"] + config)
            #expect(csv.output.split(separator: "\r\n").last?.hasPrefix("\(id),serve-test,") == true, "\(csv.output)")
            let fhir = try await workspace.cli.run(["audit", "query", "--trace-id", trace, "--format", "fhir"] + config)
            #expect(fhir.output.contains("\"id\":\"\(id)\"") && fhir.output.contains("urn:uuid:\(id)"))
            let stored = try await sqliteShell(workspace.auditPath, "SELECT DISTINCT exchange_id FROM audit_record WHERE trace_id = '\(trace)'")
            #expect(stored.output.trimmingCharacters(in: .whitespacesAndNewlines) == id)
            for output in [json.output, csv.output, fhir.output] { #expect(!output.contains(id.uppercased())) }
        }
    }

    @Test func sigtermStopsServeWithoutWaitingOutTheDirectoryRefreshInterval() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            var slow = workspace
            slow.cli.environment["SWITCHBOARD_DIRECTORY_REFRESH_INTERVAL_MILLISECONDS"] = "60000"
            let server = try slow.startServer()
            try await waitUntilListening(workspace.port)
            let asked = ContinuousClock.now
            #expect(await workspace.stop(server, timeout: .seconds(15)), "switchboard serve did not stop within 15 s of SIGTERM")
            #expect(asked.duration(to: .now) < .seconds(15))
            #expect(server.terminationStatus == 0)
        }
    }

    @Test func unreadableCertificateStopsStartUpNamingTheSetting() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let result = try await workspace.cli.run("serve", "--config", workspace.config.path, "--help")
            #expect(result.status == 0)
            var environment = workspace.cli
            environment.environment["SWITCHBOARD_PROXY_TLS_CERTIFICATE"] = "/nonexistent/proxy.pem"
            let failed = try await environment.run("serve", "--config", workspace.config.path)
            #expect(failed.status == 1)
            #expect(failed.error.contains("setting proxy.tls.certificate: cannot read '/nonexistent/proxy.pem'"))
        }
    }
}

/// Peak resident memory of a process, from /proc.
func peakResidentKiB(_ pid: Int32) throws -> Int {
    let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
}

/// Waits until something accepts connections on the loopback port.
func waitUntilListening(_ port: Int, timeout: Duration = .seconds(20)) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        close(fd)
        if connected == 0 { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw CLIError("nothing listening on \(port)")
}

struct CLIError: Error { var message: String; init(_ message: String) { self.message = message } }

/// A loopback port nothing listens on now.
func freeLoopbackPort() throws -> Int {
    // Below the kernel's ephemeral range (32768–60999), so no client socket or port-0 listener of a
    // concurrent test can take it between this check and the server binding it.
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if bound == 0 { return port }
    }
    throw CLIError("no free loopback port between 20000 and 32000")
}

/// Ports this test process has given out already.
let handedOutPorts = Mutex<Set<Int>>([])
