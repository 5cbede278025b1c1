import Foundation

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
