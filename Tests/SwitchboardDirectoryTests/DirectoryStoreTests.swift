import Foundation
import Synchronization
import SwitchboardCore
import SwitchboardDirectory
import Logging
import SwitchboardPostgres
import SwitchboardStorage
import SwitchboardTesting
import Testing

/// The directory store's behaviour, run against every store implementation available (SQLite
/// always, PostgreSQL when the test server is there), plus what is particular to each.
@Suite struct DirectoryStoreTests {
    let author = ChangeAuthor(actor: "cli:tester", source: .cli, reason: "test")

    /// `open` opens a store on the same database (another process would); `sql` runs raw SQL on it.
    static func withStore(_ backend: StoreBackend,
                          _ body: (_ open: () async throws -> any DirectoryStore, _ sql: (String) async throws -> (status: Int32, output: String)) async throws -> Void)
        async throws {
        switch backend {
        case .sqlite:
            try await withTemporaryDirectory { folder in
                let path = folder.appendingPathComponent("directory.sqlite").path
                try await body({ try SQLiteDirectoryStore(path: path) }, { try await sqliteShell(path, $0) })
            }
        case .postgres:
            try await ScratchPostgres.withDatabase { url in
                try await StoreTasks.run {
                    try await body({
                        try await PostgresDirectoryStore(location: try PostgresLocation(url: url), logger: .init(label: "test"))
                    }, { try await ScratchPostgres.psql(url, $0) })
                }
            }
        }
    }

    @Test func sqliteIsWALWithSynchronousFullOnEveryConnection() async throws {
        try await withTemporaryDirectory { folder in
            let store = try SQLiteDirectoryStore(path: folder.appendingPathComponent("directory.sqlite").path)
            let report = try store.durabilityReport()
            #expect(report.journalMode == "wal")
            #expect(report.writerSynchronous == 2)
            #expect(report.readerSynchronous == 2)
        }
    }

    @Test(arguments: StoreBackend.available)
    func storesAndLoadsEveryEntryWithHistory(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { open, _ in
            let directory = try await Directory(store: try await open())
            let applied = try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            #expect(applied.generation == 1)
            #expect(applied.changes.count == SampleDirectory.tables.count)

            let reopened = try await open()
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
            #expect(abs(history.first?.at.timeIntervalSinceNow ?? 1e9) < 60)

            // A retirement on top: history newest first, before and after kept.
            let system = EntityRef(.system, SampleDirectory.practiceASID.rawValue)
            try await directory.apply([.retire(system)], author: author)
            let both = try await reopened.history(HistoryQuery(entry: system))
            #expect(both.map(\.action) == [.retired, .created])
            #expect(both.first?.before?.status == .active && both.first?.after?.status == .retired)
            #expect(try await reopened.history(HistoryQuery(kind: .system, limit: 1)).count == 1)
            #expect(try await reopened.generation() == 2)
        }
    }

    @Test(arguments: StoreBackend.available)
    func commitRefusesAStaleGeneration(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { open, _ in
            let store = try await open()
            let change = EntryChange(action: .created, before: nil, after: .organisation(Organisation(ods: ODSCode(trusted: "AAA"), name: "A", kind: .other)))
            #expect(try await store.commit([change], expectedGeneration: 0, author: author) == 1)
            await #expect(throws: DirectoryStoreError.generationMoved(expected: 0, actual: 1)) {
                try await store.commit([change], expectedGeneration: 0, author: author)
            }
            #expect(try await store.generation() == 1, "the refused commit changed nothing")
        }
    }

    @Test(arguments: StoreBackend.available)
    func historyIsAppendOnly(backend: StoreBackend) async throws {
        try await Self.withStore(backend) { open, sql in
            let directory = try await Directory(store: try await open())
            try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            for statement in ["UPDATE directory_change SET actor = 'someone else'", "DELETE FROM directory_change"] {
                let result = try await sql(statement)
                #expect(result.status != 0)
                #expect(result.output.contains("directory history is append-only"))
            }
        }
    }

    /// Two processes on one PostgreSQL database: a commit through one is announced to the other.
    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
    func postgresAnnouncesEveryCommit() async throws {
        try await Self.withStore(.postgres) { open, sql in
            let listener = try await open() as! PostgresDirectoryStore
            let writer = try await open()
            let heard = Heard()
            let listening = Task { try await listener.listenForCommits { generation in heard.values.withLock { $0.append(generation) } } }
            defer { listening.cancel() }
            // The listener's LISTEN has reached the server before anything is committed.
            let listenerReady = try await eventually {
                try await sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'").output
                    .trimmingCharacters(in: .whitespacesAndNewlines) != "0"
            }
            #expect(listenerReady)
            let directory = try await Directory(store: writer)
            try await directory.replaceAll(with: SampleDirectory.tables, author: author)
            try await directory.apply([.retire(EntityRef(.system, SampleDirectory.practiceASID.rawValue))], author: author)
            await eventually { heard.values.withLock { $0.count } >= 2 }
            #expect(heard.values.withLock { $0 } == [1, 2])
        }
    }
}

/// Generations a listener heard announced.
final class Heard: Sendable {
    let values = Mutex<[Int64]>([])
}
