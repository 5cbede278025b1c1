public import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A program started in the background with `posix_spawn`, for tests that run servers, lock
/// holders and browsers beside themselves. Foundation's `Process` is not used: its launch reads
/// `/proc/self/fd` into a buffer it can overrun once the test process has many descriptors open
/// (swift-corelibs-foundation's `findMaximumOpenFromProcSelfFD`), which crashed the whole test
/// process, and the crash report then took longer than the suite's deadline.
public final class BackgroundProgram: Sendable {
    public let processIdentifier: Int32
    private let exitStatus = Mutex<Int32?>(nil)
    /// The writing end of the program's standard input, when it was asked for.
    private let input: Int32?

    /// Starts `path` with `arguments`. Its standard output goes to `output` (created or
    /// truncated), or nowhere, and its standard error with it unless `discardErrors`;
    /// `withInput` gives it a pipe for ``write(_:)``.
    public init(_ path: String, _ arguments: [String], workingDirectory: URL? = nil, environment: [String: String]? = nil,
                output: URL? = nil, discardErrors: Bool = false, withInput: Bool = false) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var pipeEnds: [Int32] = [-1, -1]
        if withInput {
            guard pipe(&pipeEnds) == 0 else { throw Self.error("pipe") }
            posix_spawn_file_actions_adddup2(&actions, pipeEnds[0], 0)
            posix_spawn_file_actions_addclose(&actions, pipeEnds[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 1, output?.path ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if discardErrors {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // glibc's posix_spawn_file_actions_addchdir_np is not visible to Swift: coreutils' env changes
        // folder, then execs the program in the same process.
        let command = workingDirectory.map { ["/usr/bin/env", "-C", $0.path, path] } ?? [path]
        let argv = (command + arguments).map { strdup($0) } + [nil]
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            variables.forEach { free($0) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, command[0], &actions, nil, argv, variables)
        if withInput { close(pipeEnds[0]) }
        guard spawned == 0 else {
            if withInput { close(pipeEnds[1]) }
            throw Self.error("starting \(path)", code: spawned)
        }
        processIdentifier = pid
        input = withInput ? pipeEnds[1] : nil
    }

    /// Runs `path` to its end and returns its exit code and what it printed (standard output,
    /// and standard error unless `discardErrors`).
    public static func run(_ path: String, _ arguments: [String], discardErrors: Bool = false) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-program-\(UUID().uuidString).out")
        defer { try? FileManager.default.removeItem(at: file) }
        let program = try BackgroundProgram(path, arguments, output: file, discardErrors: discardErrors)
        program.waitUntilExit()
        return (program.terminationStatus ?? -1, (try? String(contentsOf: file, encoding: .utf8)) ?? "")
    }

    /// Whether it has not exited yet (an exit is collected here).
    public var isRunning: Bool {
        exitStatus.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            guard waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier else { return true }
            status = Self.decode(raw)
            return false
        }
    }

    /// Sends SIGTERM.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// Waits for it to exit.
    public func waitUntilExit() {
        while isRunning { usleep(10_000) }
    }

    /// Its exit code (128 + the signal for one killed by a signal); nil while it runs.
    public var terminationStatus: Int32? {
        _ = isRunning
        return exitStatus.withLock { $0 }
    }

    /// Writes `text` to its standard input.
    public func write(_ text: String) {
        guard let input else { return }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(input, $0.baseAddress, $0.count) }
            if written <= 0 { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// Closes its standard input (end of file).
    public func closeInput() {
        if let input { close(input) }
    }

    private static func decode(_ raw: Int32) -> Int32 {
        let signal = raw & 0x7f
        return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
    }

    private static func error(_ what: String, code: Int32 = errno) -> any Error {
        POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO, userInfo: [NSLocalizedDescriptionKey: "\(what) failed"])
    }
}
