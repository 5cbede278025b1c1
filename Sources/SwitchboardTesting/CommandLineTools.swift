public import Foundation

/// Runs a command-line tool to completion; its status and its output and errors together.
func runTool(_ path: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Runs SQL with the sqlite3 command-line tool, as an administrator with access to the file would.
@discardableResult
public func sqliteShell(_ path: String, _ sql: String) throws -> (status: Int32, output: String) {
    try runTool("/usr/bin/sqlite3", [path, sql])
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
        /// False when Python or `fhir.resources` is missing (and `FHIR_VALIDATOR_REQUIRED` is not set).
        public var ran: Bool
        public var valid: Bool
        public var output: String
    }

    /// Validates each file (a JSON resource, or `.ndjson` with a resource per line). Throws when
    /// the validator cannot run although `FHIR_VALIDATOR_REQUIRED=1` (as `scripts/test` sets).
    public static func validate(_ files: [URL]) throws -> Result {
        let script = Repository.root.appendingPathComponent("Tests/FHIR/validate_stu3.py").path
        let required = ProcessInfo.processInfo.environment["FHIR_VALIDATOR_REQUIRED"] == "1"
        guard let python = testPython else {
            if required { throw ValidatorUnavailable(reason: "no .venv: run scripts/install-dependencies") }
            return Result(ran: false, valid: false, output: "no .venv")
        }
        let (status, output) = try runTool(python, [script] + files.map(\.path))
        if status == 2 {
            if required { throw ValidatorUnavailable(reason: output) }
            return Result(ran: false, valid: false, output: output)
        }
        return Result(ran: true, valid: status == 0, output: output)
    }

    struct ValidatorUnavailable: Error, CustomStringConvertible {
        var reason: String
        var description: String { "the FHIR validator cannot run (FHIR_VALIDATOR_REQUIRED=1): \(reason)" }
    }
}
