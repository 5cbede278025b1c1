import Foundation
import SwitchboardTesting
import Testing

/// Commands that fail say so in one sentence naming the thing and what to do, exit non-zero at
/// once, and never print a Foundation error domain or a Swift type dump.
@Suite struct CommandErrorTests {
    /// The command failed promptly with exit status 1 and exactly one `Error: …` line containing `expected`.
    static func expectOneSentence(_ result: CommandRunner.Result, _ expected: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.timedOut, "the command hung", sourceLocation: sourceLocation)
        #expect(result.status == 1, "exit status \(result.status): \(result.error)", sourceLocation: sourceLocation)
        let lines = result.error.split(separator: "\n").map(String.init)
        #expect(lines.count == 1, "one line expected, got:\n\(result.error)", sourceLocation: sourceLocation)
        #expect(lines.first?.hasPrefix("Error: ") == true, sourceLocation: sourceLocation)
        #expect(result.error.contains(expected), "\(result.error)", sourceLocation: sourceLocation)
        for dump in ["NSCocoaErrorDomain", "Error Domain=", "Code=", "Swift.", "errno:", "Fatal error", "CommandError("] {
            #expect(!result.error.contains(dump), "'\(dump)' in: \(result.error)", sourceLocation: sourceLocation)
        }
    }

    /// (the variable that moves the listener, the listener, the setting the message names)
    @Test(arguments: [("SWITCHBOARD_PROXY_LISTEN_PORT", "the proxy listener", "proxy.listen.port"),
                      ("SWITCHBOARD_MANAGEMENT_PORT", "the management listener", "management.port")])
    func serveWithAPortInUseNamesTheListenerAndAddress(variable: String, listener: String, setting: String) async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let holder = try PortHolder()
            var cli = workspace.cli
            cli.environment[variable] = "\(holder.port)"
            let result = try await cli.run(["serve", "--config", workspace.config.path], deadline: .seconds(60))
            Self.expectOneSentence(result, "\(listener) cannot listen on 127.0.0.1:\(holder.port): another program is already using port \(holder.port); "
                                   + "stop it, or choose another port with \(setting)")
        }
    }

    @Test func serveWithAMissingOrBadCertificate() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            var missing = workspace.cli
            missing.environment["SWITCHBOARD_PROXY_TLS_CERTIFICATE"] = "/nonexistent/proxy.pem"
            Self.expectOneSentence(try await missing.run("serve", "--config", workspace.config.path),
                                   "setting proxy.tls.certificate: cannot read '/nonexistent/proxy.pem': no such file; point proxy.tls.certificate at the PEM file")

            let notPEM = workspace.folder.appendingPathComponent("not-a-certificate.pem")
            try Data("hello\n".utf8).write(to: notPEM)
            var bad = workspace.cli
            bad.environment["SWITCHBOARD_PROXY_TLS_CLIENT_CA"] = notPEM.path
            Self.expectOneSentence(try await bad.run("serve", "--config", workspace.config.path),
                                   "setting proxy.tls.clientCA: '\(notPEM.path)' holds no PEM certificate")

            // The provider CA bundle is checked before the upstream client is made (it is not a listener's).
            var bundle = workspace.cli
            bundle.environment["SWITCHBOARD_PROXY_UPSTREAM_CA_BUNDLE"] = "/nonexistent/provider-ca.pem"
            Self.expectOneSentence(try await bundle.run("serve", "--config", workspace.config.path),
                                   "setting proxy.upstream.caBundle: cannot read '/nonexistent/provider-ca.pem': no such file")

            var key = workspace.cli
            key.environment["SWITCHBOARD_MANAGEMENT_PRIVATE_KEY"] = workspace.pki.proxy.certificate
            Self.expectOneSentence(try await key.run("serve", "--config", workspace.config.path), "setting management.privateKey: '\(workspace.pki.proxy.certificate)' holds no unencrypted PEM private key")
        }
    }

    /// An audit folder the process may not write: the store cannot be made, and serve says where
    /// and what to do. (Root ignores permission bits, so as root the folder is made immutable on
    /// a scratch file system.)
    @Test(.enabled(if: geteuid() != 0 || ScratchFilesystem.isAvailable, "as root this needs a scratch file system (a loop device)"))
    func serveWithAnUnwritableAuditFolder() async throws {
        try await ServeWorkspace.with(behaviour: { _ in .hang }) { workspace, _ in
            let disk = geteuid() == 0 ? try ScratchFilesystem(under: workspace.folder, sizeKiB: 4096) : nil
            defer { disk?.unmount() }
            let folder = (disk?.mountPoint ?? workspace.folder).appendingPathComponent("audit-locked")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            if let disk { try disk.makeReadOnly([folder.path]) } else { try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: folder.path) }
            var cli = workspace.cli
            cli.environment["SWITCHBOARD_AUDIT_STORE"] = "sqlite:\(folder.path)/audit.sqlite"
            let result = try await cli.run(["serve", "--config", workspace.config.path], deadline: .seconds(60))
            Self.expectOneSentence(result, "cannot open the audit.store at \(folder.path)/audit.sqlite")
            Self.expectOneSentence(result, "make the file and its folder readable and writable by this user, or set audit.store to another path")
        }
    }

    @Test func demoWithItsProxyPortInUseExitsAtOnce() async throws {
        try await withTemporaryDirectory { folder in
            let holder = try PortHolder()
            let cli = CommandRunner(workingDirectory: Repository.root)
            let started = ContinuousClock.now
            let result = try await cli.run(["demo", "--folder", folder.appendingPathComponent("demo").path, "--proxy-port", "\(holder.port)",
                                      "--management-port", "0", "--exit-after-journey", "--routing-tables", Repository.routingTables.path],
                                     deadline: .seconds(90))
            Self.expectOneSentence(result, "the proxy listener cannot listen on 127.0.0.1:\(holder.port): another program is already using port \(holder.port)")
            Self.expectOneSentence(result, "--proxy-port")
            #expect(started.duration(to: .now) < .seconds(60))
        }
    }

    @Test func demoOutsideTheRepositorySaysWhereTheRoutingTablesAre() async throws {
        try await withTemporaryDirectory { folder in
            let result = try await CommandRunner(workingDirectory: folder).run(["demo", "--exit-after-journey", "--proxy-port", "0", "--management-port", "0"],
                                                                              deadline: .seconds(60))
            Self.expectOneSentence(result, "the sample routing tables are not in \(folder.standardizedFileURL.path)/RoutingTables")
            Self.expectOneSentence(result, "--routing-tables")
            #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("var").path), "nothing made before the check")
        }
    }

    @Test func unreadableFilesAndDatabases() async throws {
        try await withTemporaryDirectory { folder in
            let cli = CommandRunner(workingDirectory: folder)
            Self.expectOneSentence(try await cli.run("config", "--config", folder.appendingPathComponent("missing.yaml").path),
                                   "cannot read the configuration file \(folder.path)/missing.yaml: no such file or folder")
            let garbage = folder.appendingPathComponent("audit.sqlite")
            try Data(repeating: 0x41, count: 8192).write(to: garbage)
            var audit = cli
            audit.environment["SWITCHBOARD_AUDIT_STORE"] = "sqlite:\(garbage.path)"
            Self.expectOneSentence(try await audit.run("audit", "query"), "cannot open the audit.store at \(garbage.path): the SQLite database failed: file is not a database")
            Self.expectOneSentence(try await cli.run("routes", "validate", folder.appendingPathComponent("no-such-tables").path), "no-such-tables")
        }
    }
}

/// A socket holding a loopback port, as another program would.
final class PortHolder {
    let port: Int
    private let descriptor: Int32

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(descriptor, 1)
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
        self.descriptor = descriptor
        port = Int(UInt16(bigEndian: bound.sin_port))
    }

    deinit { close(descriptor) }
}
