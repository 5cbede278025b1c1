import Foundation

/// Another process (the `sqlite3` shell) holding a database's write lock until `release()`,
/// as a backup tool or a stray session would.
public final class SQLiteLockHolder: Sendable {
    private let process: BackgroundProgram

    public init(_ path: String) throws {
        process = try BackgroundProgram("/usr/bin/sqlite3", [path], withInput: true)
        process.write("BEGIN EXCLUSIVE;\n")
        Thread.sleep(forTimeInterval: 0.3)
    }

    public func release() {
        process.write("ROLLBACK;\n.quit\n")
        process.closeInput()
        process.waitUntilExit()
    }
}
