import Foundation
import SwitchboardCore
import SwitchboardDirectory
import SwitchboardTesting
import Testing

@Suite struct SQLiteDirectoryStoreTests {
    let author = ChangeAuthor(actor: "cli:tester", source: .cli, reason: "test")

    @Test func durabilityIsWALWithSynchronousFullOnEveryConnection() async throws {
        try await withTemporaryDirectory { folder in
            let store = try SQLiteDirectoryStore(path: folder.appendingPathComponent("directory.sqlite").path)
            let report = try store.durabilityReport()
            #expect(report.journalMode == "wal")
            #expect(report.writerSynchronous == 2)
            #expect(report.readerSynchronous == 2)
        }
    }

    @Test func storesAndLoadsEveryEntryWithHistory() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("directory.sqlite").path
            let directory = try await Directory(store: try SQLiteDirectoryStore(path: path))
            let applied = try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            #expect(applied.generation == 1)
            #expect(applied.changes.count == SampleDirectory.tables.count)

            let reopened = try SQLiteDirectoryStore(path: path)
            let stored = try await reopened.load()
            #expect(stored.generation == 1)
            var expected = SampleDirectory.tables
            for var entry in expected.entries { entry.version = 1; expected.put(entry) }
            #expect(stored.tables == expected)

            let history = try await reopened.history(HistoryQuery(entry: EntityRef(.system, SampleDirectory.practiceASID.rawValue)))
            #expect(history.count == 1)
            #expect(history.first?.action == .created)
            #expect(history.first?.author == author)
            #expect(history.first?.after == expected[EntityRef(.system, SampleDirectory.practiceASID.rawValue)])
        }
    }

    @Test func commitRefusesAStaleGeneration() async throws {
        try await withTemporaryDirectory { folder in
            let store = try SQLiteDirectoryStore(path: folder.appendingPathComponent("directory.sqlite").path)
            let change = EntryChange(action: .created, before: nil, after: .organisation(Organisation(ods: ODSCode(trusted: "AAA"), name: "A", kind: .other)))
            #expect(try await store.commit([change], expectedGeneration: 0, author: author) == 1)
            await #expect(throws: DirectoryStoreError.generationMoved(expected: 0, actual: 1)) {
                try await store.commit([change], expectedGeneration: 0, author: author)
            }
        }
    }

    @Test func historyIsAppendOnly() async throws {
        try await withTemporaryDirectory { folder in
            let path = folder.appendingPathComponent("directory.sqlite").path
            let directory = try await Directory(store: try SQLiteDirectoryStore(path: path))
            try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            for statement in ["UPDATE directory_change SET actor = 'someone else'", "DELETE FROM directory_change"] {
                let result = try runSQLite(path, statement)
                #expect(result.status != 0)
                #expect(result.output.contains("directory history is append-only"))
            }
        }
    }
}

/// Runs the sqlite3 command-line tool, as an administrator with file access would.
func runSQLite(_ path: String, _ sql: String) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
    process.arguments = [path, sql]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
}
