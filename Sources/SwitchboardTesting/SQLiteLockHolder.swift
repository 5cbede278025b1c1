import Foundation

/// Another process (the `sqlite3` shell) holding a database's write lock until `release()`,
/// as a backup tool or a stray session would.
public final class SQLiteLockHolder: Sendable {
    private let process: Process
    private let input: Pipe

    public init(_ path: String) throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path]
        input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(Data("BEGIN EXCLUSIVE;\n".utf8))
        Thread.sleep(forTimeInterval: 0.3)
    }

    public func release() {
        input.fileHandleForWriting.write(Data("ROLLBACK;\n.quit\n".utf8))
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }
}
