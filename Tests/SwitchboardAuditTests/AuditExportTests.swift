import Foundation
@testable import SwitchboardAudit
import SwitchboardCore
import SwitchboardTesting
import Testing

/// What auditors take away: exports of whole periods in one document, timestamps with their
/// zone, exchange ids spelt one way, FHIR that a STU3 validator accepts.
@Suite struct AuditExportTests {
    /// 2,345 finished exchanges a second apart from 1 November, and one outside the period.
    static func fill(_ store: any AuditStore) async throws -> (records: [ExchangeRecord], period: (Date, Date)) {
        let start = Timestamp.parse("2026-11-01T00:00:00Z")!
        var records: [ExchangeRecord] = []
        for index in 0..<2_345 {
            var record = AuditFixtures.record(receivedAt: start.addingTimeInterval(Double(index)), status: index % 10 == 0 ? 404 : 200)
            record.requestingParty.organisationName = index == 7 ? "South East, \"Coast\"\nAmbulance" : "NHS 111 South East"
            records.append(record)
        }
        for batch in stride(from: 0, to: records.count, by: 500) {
            try await store.append(records[batch..<min(batch + 500, records.count)].map { AuditEntry(kind: .complete, record: $0) }, node: "node-a")
        }
        try await store.append([AuditEntry(kind: .complete, record: AuditFixtures.record(receivedAt: start.addingTimeInterval(-60)))], node: "node-a")
        return (records, (start, start.addingTimeInterval(3_000)))
    }

    static func export(_ store: any AuditStore, _ format: AuditExport.Format, since: Date, until: Date) async throws -> (Data, Int, Int) {
        var query = AuditQuery()
        query.since = since
        query.until = until
        var document = Data()
        var writes = 0
        let count = try await AuditExportStream.write(from: store, query: query, format: format) { chunk in
            document.append(chunk)
            writes += 1
        }
        return (document, count, writes)
    }

    @Test(arguments: StoreBackend.available)
    func aWholePeriodIsOneDocumentOldestFirst(backend: StoreBackend) async throws {
        try await AuditFixtures.withStore(backend) { store, _ in
            let (records, period) = try await Self.fill(store)

            let (csv, csvCount, writes) = try await Self.export(store, .csv, since: period.0, until: period.1)
            #expect(csvCount == records.count)
            #expect(writes >= 3 + 2, "written a page at a time (3 pages), not gathered")
            let text = String(decoding: csv, as: UTF8.self)
            #expect(text.components(separatedBy: "id,node,received_at").count == 2, "one header")
            let lines = text.components(separatedBy: "\r\n").dropFirst().filter { !$0.isEmpty }
            #expect(lines.first?.hasPrefix(records[0].id.uuidString.lowercased()) == true, "oldest first")
            #expect(text.contains("\"South East, \"\"Coast\"\"\nAmbulance\""))

            let (json, jsonCount, _) = try await Self.export(store, .json, since: period.0, until: period.1)
            #expect(jsonCount == records.count)
            let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            let exported = try #require(object["records"] as? [[String: Any]])
            #expect(exported.count == records.count)
            #expect(exported.map { $0["id"] as? String } == records.map { $0.id.uuidString.lowercased() })
            #expect(exported.allSatisfy { ($0["receivedAt"] as? String).flatMap(Timestamp.parse) != nil && ($0["receivedAt"] as? String)?.hasSuffix("Z") == true })

            let (fhir, fhirCount, _) = try await Self.export(store, .fhir, since: period.0, until: period.1)
            #expect(fhirCount == records.count)
            let bundle = try #require(try JSONSerialization.jsonObject(with: fhir) as? [String: Any])
            #expect(bundle["resourceType"] as? String == "Bundle")
            #expect((bundle["entry"] as? [Any])?.count == records.count)

            let (ndjson, ndjsonCount, _) = try await Self.export(store, .ndjson, since: period.0, until: period.1)
            #expect(ndjsonCount == records.count)
            let ndjsonLines = String(decoding: ndjson, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            #expect(ndjsonLines.count == records.count + 1 && ndjsonLines.last == "", "a line per record, each ended")
            let ids = try ndjsonLines.dropLast().map { line in
                try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])["id"] as? String
            }
            #expect(ids == records.map { $0.id.uuidString.lowercased() }, "oldest first, across pages")

            let (events, eventCount, _) = try await Self.export(store, .fhirNDJSON, since: period.0, until: period.1)
            #expect(eventCount == records.count)
            let eventLines = String(decoding: events, as: UTF8.self).split(separator: "\n")
            #expect(eventLines.count == records.count)
            #expect(try eventLines.allSatisfy { line in
                (try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["resourceType"] as? String == "AuditEvent"
            })

            let (empty, none, _) = try await Self.export(store, .json, since: period.1, until: period.1.addingTimeInterval(60))
            #expect(none == 0)
            #expect(String(decoding: empty, as: UTF8.self) == #"{"records":[]}"#)
        }
    }

    @Test func timestampsCarryTheirZoneAndIdsAreLowerCase() throws {
        var record = AuditFixtures.record(receivedAt: Timestamp.parse("2026-11-30T17:58:57.446Z")!)
        record.completedAt = Timestamp.parse("2026-11-30T17:58:57.512Z")!
        let json = String(decoding: try AuditExport.json(record), as: UTF8.self)
        #expect(json.contains(#""receivedAt":"2026-11-30T17:58:57.446Z""#))
        #expect(json.contains(#""completedAt":"2026-11-30T17:58:57.512Z""#))
        #expect(json.contains(#""id":"\#(record.id.uuidString.lowercased())""#))
        #expect(!json.contains(record.id.uuidString), "never upper-case")
        let csv = AuditExport.csv([record])
        #expect(csv.contains("\(record.id.uuidString.lowercased()),node-a,2026-11-30T17:58:57.446Z,2026-11-30T17:58:57.512Z,"))
        let fhir = String(decoding: try AuditExport.fhirBundle([record]), as: UTF8.self)
        #expect(fhir.contains(#""recorded":"2026-11-30T17:58:57.512Z""#))
    }

    /// Untrusted text that a spreadsheet would run as a formula stays text (OWASP CSV injection):
    /// a JWT organisation name `=HYPERLINK(…)`, and cells beginning `+`, `-`, `@`, tab or CR.
    @Test func formulaCellsAreNeutralisedAndQuoted() throws {
        var record = AuditFixtures.record()
        record.requestingParty.organisationName = #"=HYPERLINK("http://x","y")"#
        record.requestingParty.userName = "+1 2"
        record.requestingParty.device = "-cmd"
        record.requestingParty.reasonForRequest = "@SUM(A1)"
        record.requestingParty.requestedScope = "\tpatient/*.read"
        record.correlationID = "\rnext"
        record.refusalToken = "plain, with a comma"
        let csv = AuditExport.csv([record], header: false)
        #expect(csv.contains(#","'=HYPERLINK(""http://x"",""y"")","#), "\(csv)")
        #expect(csv.contains(#","'+1 2","#))
        #expect(csv.contains(#","'-cmd","#))
        #expect(csv.contains(#","'@SUM(A1)","#))
        #expect(csv.contains("\"'\tpatient/*.read\""))
        #expect(csv.contains("\"'\rnext\""))
        #expect(csv.contains(#","plain, with a comma","#), "an ordinary cell is quoted only for RFC 4180")
        #expect(AuditExport.quote("A81001") == "A81001" && AuditExport.quote("") == "")
    }

    /// The hand-written encoding writes every stored property (a new field cannot be forgotten).
    @Test func everyFieldIsEncoded() throws {
        var record = AuditFixtures.record()
        record.upstreamMicroseconds = 1
        record.certificateSubject = "CN=a"
        record.certificateFQDN = "a"
        record.correlationID = "c"
        record.refusalPhase = "p"
        record.refusalToken = "t"
        record.refusalRule = "r"
        record.requestBodySHA256 = "h"
        record.responseBodySHA256 = "h"
        record.responseLocation = "l"
        record.responseETag = "e"
        record.resourceID = "1"
        record.nhsNumberHMAC = "k"
        let object = try #require(try JSONSerialization.jsonObject(with: AuditExport.json(record)) as? [String: Any])
        #expect(object.count == Mirror(reflecting: record).children.count)
        let decoded = try AuditExport.decoder.decode(ExchangeRecord.self, from: AuditExport.json(record)) as ExchangeRecord?
        #expect(decoded?.id == record.id)
    }

    /// The FHIR export is valid STU3 AuditEvent, as the `fhir.resources` models read it.
    @Test func fhirExportIsValidSTU3() async throws {
        try await withTemporaryDirectory { folder in
            var refused = AuditFixtures.record(status: 403, outcome: .refused, rule: "ASID_CHECK_FAILED")
            refused.refusalToken = "ASID_CHECK_FAILED_MESSAGESENDER_200000000359"
            refused.requestingParty.userName = "Dr Sam Taylor"
            refused.requestingParty.userRoleProfileID = "R8000"
            refused.requestingParty.organisationName = "NHS 111 South East"
            refused.requestingParty.reasonForRequest = "directcare"
            refused.certificateFQDN = "adastra-111.secamb.thirdparty.nhs.uk"
            var booked = AuditFixtures.record(status: 201, resource: ("Appointment", nil))
            booked.method = "POST"
            booked.responseLocation = "Appointment/1"
            var open = AuditFixtures.record(outcome: .inProgress)
            open.completedAt = nil
            open.status = nil
            let file = folder.appendingPathComponent("audit-events.json")
            let records = [refused, booked, open, AuditFixtures.record()]
            try AuditExport.fhirBundle(records).write(to: file)
            let lines = folder.appendingPathComponent("audit-events.ndjson")
            try AuditExportStream.encode(records, .fhirNDJSON).write(to: lines)
            let result = try await STU3Validator.validate([file, lines])
            if result.ran { #expect(result.valid, "\(result.output)") }
        }
    }
}
