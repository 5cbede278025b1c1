import Foundation
import Synchronization
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
    func run(_ arguments: String...) throws -> Result {
        try run(arguments)
    }

    /// Starts the command in the background; its output goes to `log`.
    func start(_ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment.merge(self.environment) { $1 }
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// Runs the command to its end, or kills it at `deadline` (the result says so): a command
    /// that hangs fails its test instead of hanging the suite.
    func run(_ arguments: [String], deadline: Duration = .seconds(180)) throws -> Result {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = arguments
        process.currentDirectoryURL = workingDirectory
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SWITCHBOARD_") }
        environment.merge(self.environment) { $1 }
        process.environment = environment
        let output = Pipe(), error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        let killed = Mutex(false)
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            killed.withLock { $0 = true }
            kill(process.processIdentifier, SIGKILL)
        }
        let seconds = Double(deadline.components.seconds) + Double(deadline.components.attoseconds) / 1e18
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        // Standard error is read on its own thread, so a command filling either pipe never blocks.
        let errorData = Mutex(Data())
        let errorRead = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let data = error.fileHandleForReading.readDataToEndOfFile()
            errorData.withLock { $0 = data }
            errorRead.signal()
        }
        let outputData = output.fileHandleForReading.readDataToEndOfFile()
        errorRead.wait()
        process.waitUntilExit()
        watchdog.cancel()
        return Result(status: process.terminationStatus, output: String(decoding: outputData, as: UTF8.self),
                      error: String(decoding: errorData.withLock { $0 }, as: UTF8.self), timedOut: killed.withLock { $0 })
    }
}
