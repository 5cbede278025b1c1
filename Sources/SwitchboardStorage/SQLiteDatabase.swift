public import GRDB

/// How much a commit survives. `full` (the default) survives power loss; `normal` survives a
/// process crash only and may lose the last transactions when the machine fails.
public enum SQLiteSynchronous: String, CaseIterable, Hashable, Sendable, Codable {
    case full
    case normal

    /// The value `PRAGMA synchronous` reports for this level.
    public var pragmaValue: Int {
        switch self {
        case .full: 2
        case .normal: 1
        }
    }
}

/// Opens the SQLite databases Switchboard keeps: WAL journal, the chosen `synchronous` level on
/// every connection, and a busy timeout so that another process holding the lock briefly does
/// not fail a write.
public enum SQLiteDatabase {
    /// Opens (creating if needed) the database at `path`.
    ///
    /// GRDB turns `synchronous` down to `NORMAL` when it switches a pool to WAL, after
    /// `prepareDatabase` has run; the level is therefore set again on the writer afterwards and
    /// read back, and opening fails if it did not hold.
    public static func openPool(
        path: String, synchronous: SQLiteSynchronous = .full, busyTimeoutSeconds: Double = 5, readonly: Bool = false,
        label: String
    ) throws -> DatabasePool {
        var configuration = Configuration()
        configuration.label = label
        configuration.readonly = readonly
        configuration.busyMode = .timeout(busyTimeoutSeconds)
        configuration.journalMode = .wal
        let pragma = "PRAGMA synchronous = \(synchronous.pragmaValue)"
        configuration.prepareDatabase { db in
            try db.execute(sql: pragma)
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        if !readonly {
            try pool.writeWithoutTransaction { db in
                try db.execute(sql: pragma)
                let level = try Int.fetchOne(db, sql: "PRAGMA synchronous")
                guard level == synchronous.pragmaValue else {
                    throw DatabaseError(message: "PRAGMA synchronous is \(level ?? -1), expected \(synchronous.pragmaValue) at \(path)")
                }
            }
        }
        return pool
    }

    /// Copies the database at `source` to a new file at `destination` with SQLite's online backup
    /// API, in one step under one read transaction: a consistent copy of the last commit while
    /// other processes go on writing. Returns the pages copied.
    @discardableResult
    public static func backup(from source: String, to destination: String) throws -> Int {
        var readOnly = Configuration()
        readOnly.readonly = true
        readOnly.busyMode = .timeout(5)
        readOnly.label = "backup source"
        let from = try DatabaseQueue(path: source, configuration: readOnly)
        let to = try DatabaseQueue(path: destination)
        var pages = 0
        try from.backup(to: to) { progress in pages = progress.totalPageCount }
        try to.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
        try from.close()
        try to.close()
        return pages
    }

    /// The journal mode and `synchronous` level of the writer and of one reader connection.
    public static func durabilityReport(_ pool: DatabasePool) throws -> (journalMode: String, writerSynchronous: Int, readerSynchronous: Int) {
        let (mode, writer) = try pool.writeWithoutTransaction { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode") ?? "", try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1)
        }
        let reader = try pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        return (mode, writer, reader)
    }
}
