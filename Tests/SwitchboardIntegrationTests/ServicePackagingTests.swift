import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import SwitchboardTesting
import Testing

/// Running Switchboard as a service: the systemd unit in `Config/`, and the backup and restore
/// of a live SQLite audit store that `Docs/operator-guide.md` describes.
@Suite("Service packaging", .serialized)
struct ServicePackagingTests {
    @Test("Config/switchboard.service passes systemd-analyze verify (when systemd-analyze is installed)")
    func systemdUnitVerifies() async throws {
        guard let analyze = ["/usr/bin/systemd-analyze", "/bin/systemd-analyze"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return
        }
        try await withTemporaryDirectory { folder in
            // The unit names the installed binary; verify it against the one just built.
            let unit = try String(contentsOf: Repository.root.appendingPathComponent("Config/switchboard.service"), encoding: .utf8)
            #expect(unit.contains("ExecStart=/usr/local/bin/switchboard serve"))
            for line in ["Type=exec", "ExecReload=/bin/kill -HUP $MAINPID", "NoNewPrivileges=yes", "ProtectSystem=strict",
                         "ReadWritePaths=/var/lib/switchboard"] {
                #expect(unit.contains(line + "\n"), "the unit sets \(line)")
            }
            #expect(!unit.split(separator: "\n").contains { $0.hasPrefix("AmbientCapabilities") }, "ports above 1024 need no capability")
            let copy = folder.appendingPathComponent("switchboard.service")
            try unit.replacingOccurrences(of: "/usr/local/bin/switchboard", with: CommandRunner.executable.path)
                .write(to: copy, atomically: true, encoding: .utf8)
            let result = try await CommandRunner(workingDirectory: folder).runTool(analyze, ["verify", copy.path])
            #expect(result.status == 0, "\(result.output)\(result.error)")
            #expect(result.error.isEmpty, "systemd-analyze warned: \(result.error)")
        }
    }

    @Test("a live SQLite audit store, backed up under traffic and restored elsewhere, verifies and holds every exchange answered before the backup")
    func backupAndRestoreUnderTraffic() async throws {
        try await ServeWorkspace.with(behaviour: ProxyStyle.smallBundle) { workspace, _ in
            let server = try workspace.startServer()
            defer { server.terminate() }
            let client = try workspace.makeClient()
            let answered = NIOLockedValueBox<[String]>([])
            let stop = NIOLockedValueBox(false)
            let backup = workspace.folder.appendingPathComponent("backup")
            var answeredBeforeBackup: [String] = []
            var backedUp: CommandRunner.Result?
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<3 {
                    group.addTask { await workspace.sendSlotSearches(client: client, until: stop, answered: answered) }
                }
                await eventually(timeout: .seconds(30)) { answered.withLockedValue { $0.count } >= 30 }
                answeredBeforeBackup = answered.withLockedValue { $0 }
                backedUp = try? await workspace.cli.run("audit", "backup", "--config", workspace.config.path, "--to", backup.path)
                // Traffic goes on after the copy; those exchanges need not be in it.
                let atBackup = answered.withLockedValue { $0.count }
                await eventually(timeout: .seconds(15)) { answered.withLockedValue { $0.count } >= atBackup + 10 }
                stop.withLockedValue { $0 = true }
            }
            try await client.shutdown()
            #expect(await workspace.stop(server))
            let result = try #require(backedUp)
            #expect(result.status == 0, "\(result.output)\(result.error)")
            #expect(result.output.contains("SQLite online backup") && result.output.contains("copy: node serve-test: intact"), "\(result.output)")
            #expect(answeredBeforeBackup.count >= 30)

            // Restore elsewhere: the copied files where another configuration's audit.store points.
            let restored = workspace.folder.appendingPathComponent("restored")
            try FileManager.default.createDirectory(at: restored, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: backup.path) {
                try FileManager.default.copyItem(at: backup.appendingPathComponent(name), to: restored.appendingPathComponent(name))
            }
            let config = try String(contentsOf: workspace.config, encoding: .utf8)
                .replacingOccurrences(of: "sqlite:\(workspace.folder.path)/audit.sqlite", with: "sqlite:\(restored.path)/audit.sqlite")
            let restoredConfig = workspace.folder.appendingPathComponent("restored.yaml")
            try config.write(to: restoredConfig, atomically: true, encoding: .utf8)
            let verified = try await workspace.cli.run("audit", "verify", "--config", restoredConfig.path)
            #expect(verified.status == 0, "\(verified.output)\(verified.error)")
            #expect(verified.output.contains("node serve-test: intact"), "\(verified.output)")
            for trace in answeredBeforeBackup.prefix(10) + answeredBeforeBackup.suffix(10) {
                let found = try await workspace.cli.run("audit", "query", "--config", restoredConfig.path, "--trace-id", trace, "--format", "json")
                #expect(found.status == 0 && found.output.contains(trace) && found.output.contains("forwarded"),
                        "exchange \(trace) answered before the backup is in the copy: \(found.output)\(found.error)")
            }

            // A second backup into the same folder is refused rather than mixed with the first.
            let again = try await workspace.cli.run("audit", "backup", "--config", workspace.config.path, "--to", backup.path)
            #expect(again.status != 0 && again.error.contains("is not empty"), "\(again.error)")
        }
    }
}
