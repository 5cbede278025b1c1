public import Foundation
import Subprocess
import Synchronization
#if canImport(System)
import System
#else
import SystemPackage
#endif

/// What a program run to its end printed, and how it ended.
public struct ProgramResult: Sendable {
    /// The exit status (128 + the signal, for a program killed by one).
    public var status: Int32
    public var output: String
    public var error: String
    /// The program had to be killed at its deadline.
    public var timedOut: Bool
}

/// Runs a program to its end, or kills it at `deadline` (the result says so), so a program that
/// hangs fails its test instead of hanging the suite. Uses swift-subprocess rather than
/// Foundation's `Process`, whose launch over-reads memory on Linux (swift-corelibs-foundation
/// #5472) and crashes a test process now and then.
/// - Parameter environment: the whole environment; the test process's own when nil.
public func runProgram(_ path: String, _ arguments: [String], workingDirectory: URL? = nil, environment: [String: String]? = nil,
                       deadline: Duration = .seconds(180)) async throws -> ProgramResult {
    let variables = environment ?? ProcessInfo.processInfo.environment
    var keyed: [Environment.Key: String] = [:]
    for (name, value) in variables { if let key = Environment.Key(rawValue: name) { keyed[key] = value } }
    let watch = Watch()
    let keys = keyed
    return try await withThrowingTaskGroup(of: ProgramResult?.self) { group in
        group.addTask {
            let result = try await Subprocess.run(
                .path(FilePath(path)), arguments: Arguments(arguments), environment: .custom(keys),
                workingDirectory: workingDirectory.map { FilePath($0.path) }, input: .none,
                output: .string(limit: 256 << 20), error: .string(limit: 256 << 20)
            ) { execution in
                watch.pid.withLock { $0 = execution.processIdentifier.value }
            }
            let status: Int32 = switch result.terminationStatus {
            case .exited(let code): code
            case .signaled(let signal): 128 + signal
            }
            return ProgramResult(status: status, output: result.standardOutput, error: result.standardError,
                                 timedOut: watch.killed.withLock { $0 })
        }
        group.addTask {
            try await Task.sleep(for: deadline)
            if let pid = watch.pid.withLock({ $0 }) {
                watch.killed.withLock { $0 = true }
                kill(pid, SIGKILL)
            }
            return nil
        }
        while let next = try await group.next() {
            if let result = next {
                group.cancelAll()
                return result
            }
        }
        throw ProgramError(description: "\(path) ended without a result")
    }
}

/// The running program's id, and whether it was killed at its deadline.
private final class Watch: Sendable {
    let pid = Mutex<pid_t?>(nil)
    let killed = Mutex(false)
}

struct ProgramError: Error, CustomStringConvertible {
    var description: String
}

/// Runs a command-line tool to completion; its status and its output and errors together.
func runTool(_ path: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let result = try await runProgram(path, arguments)
    return (result.status, result.output + result.error)
}

/// Runs SQL with the sqlite3 command-line tool, as an administrator with access to the file would.
@discardableResult
public func sqliteShell(_ path: String, _ sql: String) async throws -> (status: Int32, output: String) {
    try await runTool("/usr/bin/sqlite3", [path, sql])
}

/// The Python with the test tools (`fhir.resources`, `schemathesis`) that
/// `scripts/install-dependencies` installs into `.venv`; nil before it has run.
public var testPython: String? {
    let python = Repository.root.appendingPathComponent(".venv/bin/python3").path
    return FileManager.default.isExecutableFile(atPath: python) ? python : nil
}

/// FHIR STU3 validation by the `fhir.resources` models (`Tests/FHIR/validate_stu3.py`).
public enum STU3Validator {
    /// What the validator said.
    public struct Result: Sendable {
        /// False when Python or `fhir.resources` is missing (and `PYTHON_TOOLS_REQUIRED` is not set).
        public var ran: Bool
        public var valid: Bool
        public var output: String
    }

    /// Validates each file (a JSON resource, or `.ndjson` with a resource per line). Throws when
    /// the validator cannot run although `PYTHON_TOOLS_REQUIRED=1` (as `scripts/test` sets).
    public static func validate(_ files: [URL]) async throws -> Result {
        let script = Repository.root.appendingPathComponent("Tests/FHIR/validate_stu3.py").path
        let required = ProcessInfo.processInfo.environment["PYTHON_TOOLS_REQUIRED"] == "1"
        guard let python = testPython else {
            if required { throw ValidatorUnavailable(reason: "no .venv: run scripts/install-dependencies") }
            return Result(ran: false, valid: false, output: "no .venv")
        }
        let (status, output) = try await runTool(python, [script] + files.map(\.path))
        if status == 2 {
            if required { throw ValidatorUnavailable(reason: output) }
            return Result(ran: false, valid: false, output: output)
        }
        return Result(ran: true, valid: status == 0, output: output)
    }

    struct ValidatorUnavailable: Error, CustomStringConvertible {
        var reason: String
        var description: String { "the FHIR validator cannot run (PYTHON_TOOLS_REQUIRED=1): \(reason)" }
    }
}
