import Benchmark
import Foundation
import Logging
import SwitchboardAudit
import SwitchboardPostgres
import SwitchboardCore

/// Exchange records as the proxy writes them.
enum Records {
    static let interactions = ["urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1", "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1",
                               "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1"]

    static func make(_ n: Int, receivedAt: Date = Date()) -> ExchangeRecord {
        var record = ExchangeRecord(id: .timeOrdered(at: receivedAt), node: "bench", receivedAt: receivedAt, clientAddress: "10.1.2.\(n % 250)", method: n % 5 == 0 ? "POST" : "GET",
                                    targetURL: "https://gpconnect.supplier\(n % 7).thirdparty.nhs.uk/P\(String(format: "%06d", n % 2_000))/STU3/1/gpconnect/Slot?status=free")
        record.traceID = UUID().uuidString
        record.fromASID = ASID(trusted: "2" + String(format: "%011d", n % 50))
        record.fromODS = ODSCode(trusted: "C" + String(format: "%05d", n % 50))
        record.toASID = ASID(trusted: "9" + String(format: "%011d", n % 2_000))
        record.toODS = ODSCode(trusted: "P" + String(format: "%06d", n % 2_000))
        record.interaction = InteractionID(trusted: interactions[n % 3])
        record.status = n % 40 == 0 ? 403 : 200
        record.outcome = n % 40 == 0 ? .refused : .forwarded
        record.refusalRule = n % 40 == 0 ? "FOT_CHECK_FAILED" : nil
        record.completedAt = receivedAt.addingTimeInterval(0.002)
        record.durationMicroseconds = 1_000 + Int64(n % 5_000)
        record.bytesOut = 4_970
        record.responseBodySHA256 = String(repeating: "ab", count: 32)
        record.requestingParty.userID = String(format: "%012d", n % 10_000)
        record.requestingParty.organisationODS = record.fromODS?.rawValue
        record.resourceType = "Slot"
        return record
    }

    static let millionPath = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-audit-1m-v2.sqlite").path
    static let days = 30
    static let count = 1_000_000

    /// A store of one million records over 30 days, written once and reused by later runs.
    static func millionStore() async throws -> SQLiteAuditStore {
        if FileManager.default.fileExists(atPath: millionPath + ".complete") { return try SQLiteAuditStore(path: millionPath) }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: millionPath + suffix) }
        let store = try SQLiteAuditStore(path: millionPath, synchronous: .normal)
        let start = Date().addingTimeInterval(-Double(days) * 86_400)
        let step = Double(days) * 86_400 / Double(count)
        for batch in stride(from: 0, to: count, by: 10_000) {
            let entries = (batch..<(batch + 10_000)).map { n in
                AuditEntry(kind: .complete, record: make(n, receivedAt: start.addingTimeInterval(Double(n) * step)))
            }
            try await store.append(entries, node: "bench")
        }
        // The marker only spares the next run the build; without it the store is built again.
        _ = FileManager.default.createFile(atPath: millionPath + ".complete", contents: nil)
        return store
    }

    /// The million-record store, one trace id in it and one (provider, day).
    struct Million: Sendable {
        let store: SQLiteAuditStore
        let trace: String
        let asid: String
        let day: String
    }

    static func million() async throws -> Million {
        let store = try await millionStore()
        let page = try await store.exchanges(try AuditQuery(parameters: [("to-asid", "900000000777"), ("limit", "1")]))
        let record = page.records[0]
        return Million(store: store, trace: record.traceID!, asid: "900000000777", day: String(record.receivedAt.formatted(.iso8601).prefix(10)))
    }
}

/// A writer running in the background for a benchmark.
final class RunningWriter: Sendable {
    let writer: AuditWriter
    let task: Task<Void, any Error>

    convenience init(synchronous: SwitchboardStorageLevel, maximumBatch: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-audit-writer-\(UUID()).sqlite").path
        self.init(store: try SQLiteAuditStore(path: path, synchronous: synchronous.level), maximumBatch: maximumBatch)
    }

    init(store: any AuditStore, maximumBatch: Int) {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        let writer = AuditWriter(store: store, settings: .init(node: "bench", maximumBatch: maximumBatch), logger: logger)
        self.writer = writer
        task = Task { try await writer.run() }
    }
}

import SwitchboardStorage

enum SwitchboardStorageLevel {
    case full, normal
    var level: SQLiteSynchronous { self == .full ? .full : .normal }
}

let benchmarks: @Sendable () -> Void = {
    let writes = Benchmark.Configuration(metrics: [.wallClock, .throughput], timeUnits: .milliseconds, warmupIterations: 1,
                                         maxDuration: .seconds(10), maxIterations: 20)
    /// 1,000 exchanges completed by 64 concurrent submitters, as the proxy's connections do.
    /// The records are made before the measurement starts, so only submitting and committing is timed.
    @Sendable func thousandRecords(_ writer: AuditWriter, _ benchmark: Benchmark) async throws {
        let records = (0..<1_000).map { Records.make($0) }
        benchmark.startMeasurement()
        defer { benchmark.stopMeasurement() }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<64 {
                group.addTask {
                    for n in stride(from: worker, to: 1_000, by: 64) { try await writer.complete(records[n]) }
                }
            }
            try await group.waitForAll()
        }
    }
    for (name, level, batch) in [("synchronous=FULL, group commit", SwitchboardStorageLevel.full, 512),
                                 ("synchronous=FULL, one record per transaction", .full, 1),
                                 ("synchronous=NORMAL, group commit", .normal, 512)] {
        Benchmark("Audit: 1,000 records from 64 concurrent exchanges, \(name)", configuration: writes) { benchmark, running in
            try await thousandRecords(running.writer, benchmark)
        } setup: {
            try RunningWriter(synchronous: level, maximumBatch: batch)
        }
    }

    // With POSTGRES_URL (e.g. from `source scripts/postgres-scratch`: POSTGRES_URL=$TEST_POSTGRES_URL):
    // the same load into PostgreSQL, synchronous_commit on; each node's writer is one of these.
    if let url = ProcessInfo.processInfo.environment["POSTGRES_URL"] {
        // The store's connection pool runs in a StoreTasks scope, so each iteration opens its own.
        Benchmark("Audit: 1,000 records from 64 concurrent exchanges, PostgreSQL, group commit", configuration: writes) { benchmark in
            try await StoreTasks.run {
                var logger = Logger(label: "bench")
                logger.logLevel = .critical
                let running = RunningWriter(store: try await PostgresAuditStore(location: try PostgresLocation(url: url), logger: logger), maximumBatch: 512)
                try await thousandRecords(running.writer, benchmark)
                running.task.cancel()
            }
        }
    }

    let fast = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], timeUnits: .nanoseconds, warmupIterations: 100,
                                       scalingFactor: .kilo, maxDuration: .seconds(5))
    Benchmark("Audit: encode one record as a row (columns and chain hash)", configuration: fast) { benchmark in
        let entry = AuditEntry(kind: .complete, record: Records.make(7))
        let previous = String(repeating: "ab", count: 32)
        for _ in benchmark.scaledIterations {
            let content = AuditRowCoding.content(entry)
            blackHole(AuditRowCoding.hash(node: "bench", nodeSequence: 42, previous: previous, content: content))
        }
    }

    let batch = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal], timeUnits: .microseconds, warmupIterations: 5,
                                        maxDuration: .seconds(10), maxIterations: 500)
    Benchmark("Audit: commit a batch of 64 records (synchronous=FULL)", configuration: batch) { benchmark, store in
        let entries = (0..<64).map { AuditEntry(kind: $0 % 2 == 0 ? .open : .complete, record: Records.make($0)) }
        benchmark.startMeasurement()
        try await store.append(entries, node: "bench")
        benchmark.stopMeasurement()
    } setup: {
        try SQLiteAuditStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("switchboard-bench-audit-batch-\(UUID()).sqlite").path)
    }

    let queries = Benchmark.Configuration(metrics: [.wallClock], timeUnits: .microseconds, warmupIterations: 3, maxDuration: .seconds(10),
                                          maxIterations: 200)
    Benchmark("Audit: query 1,000,000 records by trace id", configuration: queries) { (benchmark: Benchmark, million: Records.Million) in
        for _ in benchmark.scaledIterations {
            let page = try await million.store.exchanges(try AuditQuery(parameters: [("trace-id", million.trace)]))
            precondition(page.records.count == 1)
        }
    } setup: {
        try await Records.million()
    }

    Benchmark("Audit: query 1,000,000 records by ASID + day (first page)", configuration: queries) { (benchmark: Benchmark, million: Records.Million) in
        for _ in benchmark.scaledIterations {
            let page = try await million.store.exchanges(try AuditQuery(parameters: [("asid", million.asid), ("since", million.day), ("until", million.day)]))
            precondition(!page.records.isEmpty)
        }
    } setup: {
        try await Records.million()
    }
}
