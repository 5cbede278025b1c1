import Foundation
@testable import SwitchboardAudit
import SwitchboardTesting
import Testing
import SwitchboardCore

/// The audit store's behaviour, run against every store implementation available (SQLite always,
/// PostgreSQL when the test server is there), plus what is particular to each.
@Suite struct AuditStoreTests {
    @Test func durabilityIsWALWithSynchronousFull() async throws {
        try await withTemporaryDirectory { folder in
            let store = try AuditFixtures.store(folder)
            let report = try store.durabilityReport()
            #expect(report.journalMode == "wal")
            #expect(report.writerSynchronous == 2)
            #expect(report.readerSynchronous == 2)
            // A batch of open rows is written without a sync of its own; the writer is at FULL
            // again for whatever comes next.
            try await store.append([AuditEntry(kind: .open, record: AuditFixtures.record(outcome: .inProgress))], node: "node-a")
            #expect(try store.durabilityReport().writerSynchronous == 2)
        }
    }

    @Test(.enabled(if: ScratchPostgres.serverURL != nil, "no test PostgreSQL server (TEST_POSTGRES_URL)"))
    func postgresCommitsAreFlushedBeforeTheyReturn() async throws {
        try await AuditFixtures.withStore(.postgres) { store, sql in
            #expect(try await sql("SHOW synchronous_commit").output.trimmingCharacters(in: .whitespacesAndNewlines) == "on")
            #expect(try await sql("SHOW fsync").output.trimmingCharacters(in: .whitespacesAndNewlines) == "on")
            // An open-only batch is committed without waiting for the flush, and only that transaction.
            try await store.append([AuditEntry(kind: .open, record: AuditFixtures.record(outcome: .inProgress))], node: "node-a")
            #expect(try await sql("SHOW synchronous_commit").output.trimmingCharacters(in: .whitespacesAndNewlines) == "on")
        }
    }

    @Test func theTestPostgresServerIsThereWhenTheRunNeedsIt() {
        #expect(!ScratchPostgres.isRequired || ScratchPostgres.serverURL != nil, "scripts/test started PostgreSQL but TEST_POSTGRES_URL is not set")
    }

    @Test(arguments: StoreBackend.available)
    func anExchangesRecordIsItsLatestRow(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            var record = AuditFixtures.record(outcome: .inProgress)
            record.status = nil
            try await store.append([AuditEntry(kind: .open, record: record)], node: "node-a")
            #expect(try await store.exchange(id: record.id)?.outcome == .inProgress)
            record.outcome = .forwarded
            record.status = 201
            record.responseLocation = "Appointment/148"
            try await store.append([AuditEntry(kind: .complete, record: record)], node: "node-a")
            let found = try #require(try await store.exchange(id: record.id))
            #expect(found.outcome == .forwarded)
            #expect(found.status == 201)
            #expect(found.responseLocation == "Appointment/148")
            let page = try await store.exchanges(AuditQuery())
            #expect(page.records.map(\.id) == [record.id])
        }
    }

    @Test(arguments: StoreBackend.available)
    func reconcilingFindsWhichRowsOfATransactionLandedAndReopeningKeepsTheChain(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let record = AuditFixtures.record(outcome: .inProgress)
            try await store.append([AuditEntry(kind: .open, record: record)], node: "node-a")
            let asked = [AuditEntry(kind: .open, record: record), AuditEntry(kind: .complete, record: record),
                         AuditEntry(kind: .open, record: AuditFixtures.record())]
            #expect(try await store.storedEntries(asked, node: "node-a") == [true, false, false])
            #expect(try await store.storedEntries(asked, node: "node-b") == [false, false, false])
            try await store.reopen()
            try await store.append([AuditEntry(kind: .complete, record: record)], node: "node-a")
            #expect(try await store.storedEntries(asked, node: "node-a") == [true, true, false])
            let chain = try await store.verify(node: nil)
            #expect(chain.isIntact)
            #expect(chain.totalRecords == 2)
        }
    }

    /// Reopening closes the old SQLite pool, which waits for its readers; async reads hand them
    /// back on the cooperative thread pool, so a close that blocked one of its threads could wait
    /// for ever once every thread was waiting (seen with two stores reopening at once on two cores).
    @Test(.timeLimit(.minutes(1)))
    func reopeningWhileReadsAreUnderWayNeverStarvesThem() async throws {
        try await AuditFixtures.withStore(.sqlite) { store, _ in
            let record = AuditFixtures.record()
            try await store.append([AuditEntry(kind: .complete, record: record)], node: "node-a")
            let asked = [AuditEntry(kind: .complete, record: record)]
            let until = ContinuousClock.now + .seconds(1)
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<ProcessInfo.processInfo.activeProcessorCount * 2 {
                    group.addTask {
                        var reopened = 0
                        repeat {
                            try await store.reopen()
                            reopened += 1
                        } while ContinuousClock.now < until
                        return reopened
                    }
                }
                for _ in 0..<8 {
                    group.addTask {
                        var reads = 0
                        repeat {
                            let found = try await store.storedEntries(asked, node: "node-a")
                            #expect(found == [true])
                            reads += 1
                        } while ContinuousClock.now < until
                        return reads
                    }
                }
                var total = 0
                for try await count in group { total += count }
                #expect(total >= ProcessInfo.processInfo.activeProcessorCount * 2 + 8, "every task reopened or read at least once")
            }
        }
    }

    @Test(arguments: StoreBackend.available)
    func rowsAreAppendOnly(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            try await store.append([AuditEntry(kind: .complete, record: AuditFixtures.record())], node: "node-a")
            try await AuditFixtures.expectRefusedAsAppendOnly(["UPDATE audit_record SET status = 500", "DELETE FROM audit_record"], sql)
        }
    }

    @Test(arguments: StoreBackend.available)
    func verifyConfirmsAnIntactChainPerNode(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            try await store.append((0..<20).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record()) }, node: "node-a")
            try await store.append((0..<5).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record(node: "node-b")) }, node: "node-b")
            let result = try await store.verify(node: nil)
            #expect(result.isIntact)
            #expect(result.chains.map(\.node) == ["node-a", "node-b"])
            #expect(result.chains.map(\.records) == [20, 5])
        }
    }

    /// Someone with the file: drops the trigger, then alters, deletes or swaps rows.
    @Test(arguments: [
        ("altered", "UPDATE audit_record SET status = 404 WHERE node_seq = 7", Int64(7), ChainVerification.BadRecord.Reason.contentAltered),
        ("deleted", "DELETE FROM audit_record WHERE node_seq = 7", Int64(8), .missingRecords),
        ("swapped", "UPDATE audit_record SET node_seq = CASE node_seq WHEN 7 THEN 1007 WHEN 8 THEN 7 END WHERE node_seq IN (7, 8); UPDATE audit_record SET node_seq = 8 WHERE node_seq = 1007",
         Int64(7), .contentAltered),
        ("re-hashed after altering", "UPDATE audit_record SET status = 404, hash = '00' || substr(hash, 3) WHERE node_seq = 7", Int64(7), .contentAltered),
    ])
    func verifyNamesTheFirstRecordThatDoesNotFit(_ name: String, _ tamper: String, _ sequence: Int64, _ reason: ChainVerification.BadRecord.Reason) async throws {
        for backend in StoreBackend.available {
            try await verifyNamesTheFirstRecordThatDoesNotFit(backend, name, tamper, sequence, reason)
        }
    }

    func verifyNamesTheFirstRecordThatDoesNotFit(_ backend: StoreBackend, _ name: String, _ tamper: String, _ sequence: Int64,
                                                 _ reason: ChainVerification.BadRecord.Reason) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            try await store.append((0..<12).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record()) }, node: "node-a")
            let result = try await sql("\(AuditFixtures.dropTriggers(backend)) \(tamper)")
            #expect(result.status == 0, "\(result.output)")
            let verification = try await store.verify(node: "node-a")
            #expect(!verification.isIntact, "\(backend) \(name)")
            #expect(verification.chains.first?.firstBad?.sequence == sequence, "\(name)")
            #expect(verification.chains.first?.firstBad?.reason == reason, "\(name)")
        }
    }

    @Test(arguments: StoreBackend.available)
    func pagingReturnsEachRecordOnce(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let records = (0..<250).map { _ in AuditFixtures.record() }
            try await store.append(records.prefix(120).map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")
            try await store.append(records.dropFirst(120).map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")
            var seen: [UUID] = []
            var query = AuditQuery()
            query.limit = 100
            repeat {
                let page = try await store.exchanges(query)
                seen += page.records.map(\.id)
                query.cursor = page.nextCursor
            } while query.cursor != nil
            #expect(seen.count == 250)
            #expect(Set(seen) == Set(records.map(\.id)))
            #expect(seen == records.map(\.id).reversed())
        }
    }

    /// Sorted by a column, pages by offset cover the whole result in that column's order (equal
    /// values newest first), whatever order the records were written in.
    @Test(arguments: StoreBackend.available)
    func sortedPagesFollowTheColumnOverTheWholeResult(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, _ in
            let durations: [Int64] = [900, 100, 500, 100, 700, 300, 800]
            let records = durations.map { AuditFixtures.record(duration: $0) }
            try await store.append(records.map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")
            var query = AuditQuery()
            query.sort = .duration
            query.order = .oldestFirst
            query.limit = 3
            var seen: [ExchangeRecord] = []
            while true {
                let page = try await store.exchanges(query)
                seen += page.records
                guard page.nextCursor != nil else { break }
                query.offset += query.limit
            }
            #expect(seen.map(\.durationMicroseconds) == durations.sorted().map { $0 })
            #expect(seen.prefix(2).map(\.id) == [records[3].id, records[1].id], "equal durations newest first")
        }
    }

    @Test(arguments: StoreBackend.available)
    func filtersFindOneBookingAndOneDay(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let day = try Date("2026-11-20T10:00:00Z", strategy: .iso8601)
            let booking = AuditFixtures.record(receivedAt: day, trace: "booking-trace", status: 201, resource: ("Appointment", nil))
            var created = booking
            created.responseLocation = "Appointment/148"
            let cancel = AuditFixtures.record(receivedAt: day.addingTimeInterval(3600), to: "918999198004", resource: ("Appointment", "148"))
            let other = AuditFixtures.record(receivedAt: day.addingTimeInterval(86_400 * 2), status: 403, outcome: .refused, rule: "ASID_CHECK_FAILED")
            try await store.append([created, cancel, other].map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")

            func ids(_ parameters: [(String, String)]) async throws -> [UUID] {
                try await store.exchanges(try AuditQuery(parameters: parameters)).records.map(\.id)
            }
            #expect(try await ids([("trace-id", "booking-trace")]) == [booking.id])
            #expect(try await ids([("resource-type", "Appointment"), ("resource-id", "148")]) == [cancel.id])
            #expect(try await ids([("asid", "918999198004"), ("since", "2026-11-20"), ("until", "2026-11-20")]) == [cancel.id])
            #expect(try await ids([("asid", "918999198001"), ("since", "2026-11-20"), ("until", "2026-11-20")]) == [booking.id])
            #expect(try await ids([("outcome", "refused")]) == [other.id])
            #expect(try await ids([("status", "403")]) == [other.id])
            #expect(try await ids([("ods", "RYE"), ("user-id", "111222333444")]).count == 3)
        }
    }

    @Test(arguments: [
        ([("asid", "12345")], "asid: '12345' is not a 12-digit ASID"),
        ([("since", "yesterday")], "since: 'yesterday' is not a date (2026-11-26) or an RFC 3339 time with its zone (2026-11-26T14:00:00Z)"),
        ([("status", "999")], "status: '999' is not an HTTP status"),
        ([("outcome", "lost")], "outcome: must be one of in-progress, forwarded, refused, upstream-failed, upstream-timeout, client-closed, answered, interrupted"),
        ([("colour", "red")], "colour: unknown filter (known: \(AuditQuery.parameterNames.joined(separator: ", ")))"),
        ([("limit", "0")], "limit: must be 1 to 1000"),
    ])
    func badFiltersAreRefusedWithTheirReason(_ parameters: [(String, String)], _ message: String) {
        #expect(throws: AuditQueryError.self) { try AuditQuery(parameters: parameters) }
        do { _ = try AuditQuery(parameters: parameters) } catch { #expect(error.description == message) }
    }

    @Test(arguments: StoreBackend.available)
    func openExchangesAreMarkedInterrupted(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let open = AuditFixtures.record(outcome: .inProgress)
            let done = AuditFixtures.record()
            try await store.append([AuditEntry(kind: .open, record: open), AuditEntry(kind: .open, record: done), AuditEntry(kind: .complete, record: done)], node: "node-a")
            #expect(try await store.interruptOpenExchanges(node: "node-a", at: Date()) == 1)
            #expect(try await store.exchange(id: open.id)?.outcome == .interrupted)
            #expect(try await store.exchange(id: done.id)?.outcome == .forwarded)
            #expect(try await store.interruptOpenExchanges(node: "node-a", at: Date()) == 0)
            #expect(try await store.verify(node: nil).isIntact)
        }
    }

    @Test(arguments: StoreBackend.available)
    func pruneKeepsTheRestVerifiable(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            let old = Date().addingTimeInterval(-40 * 86_400)
            try await store.append((0..<30).map { AuditEntry(kind: .complete, record: AuditFixtures.record(receivedAt: old.addingTimeInterval(Double($0)))) }, node: "node-a")
            try await store.append((0..<10).map { _ in AuditEntry(kind: .complete, record: AuditFixtures.record()) }, node: "node-a")
            let result = try await store.prune(before: Date().addingTimeInterval(-30 * 86_400), actor: "cli:auditor")
            #expect(result.removed == 30)
            #expect(result.anchors["node-a"]?.afterSequence == 30)
            let verification = try await store.verify(node: nil)
            #expect(verification.isIntact)
            #expect(verification.chains.first?.anchoredAfter == 30)
            #expect(verification.chains.first?.records == 10)
            try await store.append([AuditEntry(kind: .complete, record: AuditFixtures.record())], node: "node-a")
            #expect(try await store.verify(node: nil).isIntact)
            #expect(try await sql("DELETE FROM audit_record").output.contains("append-only"))
        }
    }

    @Test func auditEventBundleIsFHIR() async throws {
        var record = AuditFixtures.record(status: 201, resource: ("Appointment", nil))
        record.method = "POST"
        record.responseLocation = "Appointment/148"
        record.requestingParty.userName = "Claire Jones"
        record.requestingParty.reasonForRequest = "directcare"
        let data = try AuditExport.fhirBundle([record])
        let bundle = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(bundle["resourceType"] as? String == "Bundle")
        #expect(bundle["type"] as? String == "searchset")
        let entry = try #require((bundle["entry"] as? [[String: Any]])?.first)
        let event = try #require(entry["resource"] as? [String: Any])
        #expect(event["resourceType"] as? String == "AuditEvent")
        #expect((event["type"] as? [String: Any])?["code"] as? String == "rest")
        #expect(event["action"] as? String == "C")
        #expect(event["outcome"] as? String == "0")
        #expect(event["recorded"] as? String != nil)
        let agents = try #require(event["agent"] as? [[String: Any]])
        #expect(agents.allSatisfy { $0["requestor"] is Bool })
        #expect(agents.contains { ($0["userId"] as? [String: Any])?["value"] as? String == "111222333444" })
        #expect(((event["source"] as? [String: Any])?["identifier"] as? [String: Any])?["value"] as? String == "node-a")
        let entities = try #require(event["entity"] as? [[String: Any]])
        #expect(entities.contains { ($0["reference"] as? [String: Any])?["reference"] as? String == "Appointment/148" })
    }

    @Test(arguments: StoreBackend.available)
    func csvQuotesAndReportFigures(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, sql in
            var records = (1...100).map { AuditFixtures.record(duration: Int64($0) * 1000) }
            records.append(AuditFixtures.record(status: 403, outcome: .refused, rule: "ASID_CHECK_FAILED", duration: 100))
            records.append(AuditFixtures.record(status: 502, outcome: .upstreamFailed, duration: 100))
            try await store.append(records.map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")
            let report = try await AuditReport.build(from: store, query: AuditQuery())
            #expect(report.total.exchanges == 102)
            #expect(report.total.forwarded == 100)
            #expect(report.total.refused == 1)
            #expect(report.total.errors == 1)
            #expect(report.refusalsByRule == ["ASID_CHECK_FAILED": 1])
            #expect(report.byProvider.map(\.key) == ["918999198001"])
            #expect(report.byDay.count == 1)
            #expect(report.total.p99Milliseconds == 99)
            #expect(report.csv().hasPrefix("group,key,exchanges,forwarded,refused,errors,error_rate,p50_ms,p95_ms,p99_ms\r\ntotal,all,102,100,1,1,"))
            var quoted = AuditFixtures.record()
            quoted.requestingParty.organisationName = "Smith, \"Jones\" & Partners"
            #expect(AuditExport.csv([quoted]).contains("\"Smith, \"\"Jones\"\" & Partners\""))
        }
    }
}

/// The chain's hash is part of the stored format: a change to how it is computed would make every
/// existing log fail verification.
@Suite struct AuditRowHashTests {
    static func fixedEntry() -> AuditEntry {
        var record = ExchangeRecord(id: UUID(uuidString: "0193c4a2-7b1e-7cc0-8a5e-2f4b9d0e1a77")!, node: "node-a",
                                    receivedAt: Date(timeIntervalSince1970: 1_790_000_000.123456), clientAddress: "192.0.2.7", method: "POST",
                                    targetURL: "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Appointment")
        record.traceID = "9ad8bd02-1b6b-4b7c-9a51-3c1a5a3b1c8e"
        record.fromASID = ASID(trusted: "200000000359")
        record.toASID = ASID(trusted: "918999198001")
        record.interaction = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1")
        record.status = 201
        record.outcome = .forwarded
        record.completedAt = Date(timeIntervalSince1970: 1_790_000_000.223456)
        record.durationMicroseconds = 100_000
        record.bytesIn = 1_615
        record.bytesOut = 2_096
        record.requestingParty.userName = "Claire Jones — Dr"
        record.responseLocation = "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Appointment/148"
        return AuditEntry(kind: .complete, record: record)
    }

    @Test func theHashOfAFixedRowNeverChanges() {
        let entry = Self.fixedEntry()
        let hash = AuditRowCoding.hash(node: "node-a", nodeSequence: 42, previous: AuditRowCoding.genesis, content: AuditRowCoding.content(entry))
        #expect(hash == "ff8202394aa2a1c8cfbadb85a6bcee270a51ae3909de95ec609c7321a3fd4128")
    }
}

extension AuditRowHashTests {
    @Test(arguments: [Int64.min, -1_000_000_000_000_000_000, -10, -1, 0, 1, 9, 10, 100, 1_790_000_000_123_456, 999_999_999_999_999_999, Int64.max])
    func decimalsAreWrittenAsSwiftWritesThem(value: Int64) {
        var bytes: [UInt8] = []
        AuditRowCoding.Value.appendDecimal(value, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == String(value))
    }
}
