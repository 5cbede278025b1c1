import Foundation
import SwitchboardTesting

/// Runs the built `switchboard` executable, as an administrator would.
struct CommandRunner {
    struct Result {
        var status: Int32
        var output: String
        var error: String
        /// The command had to be killed at its deadline.
        var timedOut = false
    }

    /// The folder the command runs in (relative paths in the default configuration resolve here).
    var workingDirectory: URL
    var environment: [String: String] = [:]

    static var executable: URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("switchboard"),
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("switchboard"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("switchboard"),
            Repository.root.appendingPathComponent(".build/debug/switchboard"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates.last!
    }

    @discardableResult
    func run(_ arguments: String...) async throws -> Result {
        try await run(arguments)
    }

    /// Starts the command in the background; its output goes to `log`.
    func start(_ arguments: [String], log: URL) throws -> BackgroundProgram {
        try startTool(Self.executable.path, arguments, log: log)
    }

    /// Starts another program the same way.
    func startTool(_ executable: String, _ arguments: [String], log: URL) throws -> BackgroundProgram {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment.merge(self.environment) { $1 }
        return try BackgroundProgram(executable, arguments, workingDirectory: workingDirectory, environment: environment, output: log)
    }

    /// Runs the command to its end, or kills it at `deadline` (the result says so): a command
    /// that hangs fails its test instead of hanging the suite.
    func run(_ arguments: [String], deadline: Duration = .seconds(180)) async throws -> Result {
        try await runTool(Self.executable.path, arguments, deadline: deadline)
    }

    /// Runs another program the same way (in the working folder, with the environment).
    func runTool(_ executable: String, _ arguments: [String], deadline: Duration = .seconds(180)) async throws -> Result {
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment.merge(self.environment) { $1 }
        let result = try await runProgram(executable, arguments, workingDirectory: workingDirectory, environment: environment, deadline: deadline)
        return Result(status: result.status, output: result.output, error: result.error, timedOut: result.timedOut)
    }
}
