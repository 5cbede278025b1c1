import Foundation
import Testing
import SwitchboardAudit
import Logging
import SwitchboardPostgres
import SwitchboardStorage
import SwitchboardTesting
import SwitchboardCore

/// Builds plausible exchange records for store tests.
enum AuditFixtures {
    static func record(
        id: UUID = UUID(), node: String = "node-a", receivedAt: Date = Date(), trace: String = UUID().uuidString,
        from: String = "200000000359", to: String = "918999198001", status: Int = 200, outcome: ExchangeRecord.Outcome = .forwarded,
        rule: String? = nil, duration: Int64 = 1_500, resource: (String, String?)? = ("Slot", nil)
    ) -> ExchangeRecord {
        var record = ExchangeRecord(id: id, node: node, receivedAt: receivedAt, clientAddress: "127.0.0.1", method: "GET",
                                    targetURL: "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect/Slot?status=free")
        record.traceID = trace
        record.fromASID = ASID(trusted: from)
        record.fromODS = ODSCode(trusted: "RYE")
        record.toASID = ASID(trusted: to)
        record.toODS = ODSCode(trusted: "A81001")
        record.interaction = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1")
        record.status = status
        record.outcome = outcome
        record.refusalRule = rule
        record.completedAt = receivedAt.addingTimeInterval(Double(duration) / 1_000_000)
        record.durationMicroseconds = duration
        record.requestingParty.userID = "111222333444"
        record.requestingParty.organisationODS = "RYE"
        record.resourceType = resource?.0
        record.resourceID = resource?.1
        return record
    }

    /// Opens a store in `folder` with a short busy timeout.
    static func store(_ folder: URL) throws -> SQLiteAuditStore {
        try SQLiteAuditStore(path: folder.appendingPathComponent("audit.sqlite").path, busyTimeoutSeconds: 0.2)
    }

    /// A fresh store of `backend` and a way to run raw SQL against its database (as someone with
    /// direct access to it would).
    static func withStore(_ backend: StoreBackend,
                          _ body: (any AuditStore, _ sql: (String) async throws -> (status: Int32, output: String)) async throws -> Void) async throws {
        switch backend {
        case .sqlite:
            try await withTemporaryDirectory { folder in
                let store = try Self.store(folder)
                try await body(store) { try await sqliteShell(store.path, $0) }
            }
        case .postgres:
            try await ScratchPostgres.withDatabase { url in
                try await StoreTasks.run {
                    let store = try await PostgresAuditStore(location: try PostgresLocation(url: url), logger: .init(label: "test"))
                    try await body(store) { try await ScratchPostgres.psql(url, $0) }
                }
            }
        }
    }

    /// Runs each statement and expects the database to refuse it as a change to append-only rows.
    static func expectRefusedAsAppendOnly(_ statements: [String], _ sql: (String) async throws -> (status: Int32, output: String)) async throws {
        for statement in statements {
            let result = try await sql(statement)
            #expect(result.status != 0, "\(statement)")
            #expect(result.output.contains("append-only"), "\(statement): \(result.output)")
        }
    }

    /// SQL that removes the append-only triggers (what someone tampering would do first).
    static func dropTriggers(_ backend: StoreBackend) -> String {
        switch backend {
        case .sqlite: "DROP TRIGGER audit_record_no_update; DROP TRIGGER audit_record_no_delete;"
        case .postgres: "DROP TRIGGER audit_record_append_only ON audit_record;"
        }
    }
}
