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
            let client = try workspace.makeClient()
            do {
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
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()

            server.terminate()
            server.waitUntilExit()
            #expect(server.terminationStatus == 0)
        }
    }

    /// `switchboard --version`, the proxy's `/_status` and `/metrics` all name the same build.
    @Test func buildInformationIsReportedEverywhere() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let version = try workspace.cli.run("--version")
            #expect(version.status == 0)
            let line = version.output.trimmingCharacters(in: .whitespacesAndNewlines)
            let pattern = /switchboard (\d+\.\d+\.\d+) \(commit ([0-9a-f]{12}(-modified)?|unknown), built (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ), Swift (\d+\.\d+(\.\d+)?)\)/
            let match = try #require(line.wholeMatch(of: pattern), "\(line)")

            let server = try workspace.startServer()
            defer { server.terminate() }
            let client = try workspace.makeClient()
            do {
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
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    @Test func unreadableCertificateStopsStartUpNamingTheSetting() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let result = try workspace.cli.run("serve", "--config", workspace.config.path, "--help")
            #expect(result.status == 0)
            var environment = workspace.cli
            environment.environment["SWITCHBOARD_PROXY_TLS_CERTIFICATE"] = "/nonexistent/proxy.pem"
            let failed = try environment.run("serve", "--config", workspace.config.path)
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
