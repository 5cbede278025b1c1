import AsyncHTTPClient
import Foundation
import NIOHTTP1
import SwitchboardApp
import SwitchboardAudit
import SwitchboardCore
import SwitchboardHarness
import SwitchboardTesting
import Testing

/// NHS number look-ups: a record keeps HMAC-SHA-256 of the NHS number its request named — in
/// the URL, or in a booking's body — and never the number itself, which still reaches the
/// provider unchanged; an auditor with the key finds the patient's exchanges.
@Suite struct NHSNumberLookUpTests {
    static let patient = "9000000009"
    static let otherPatient = "9434765919"

    /// A key file in `folder`, and the key it holds.
    static func key(in folder: URL) throws -> (path: String, key: NHSNumberKey) {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("nhs-number.key").path
        try NHSNumberKey.generateFileContents().write(toFile: path, atomically: true, encoding: .utf8)
        return (path, try NHSNumberKey(file: path, setting: "test"))
    }

    static func booking(naming number: String?) -> Data {
        let identifier = number.map { #", "identifier": {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "\#($0)"}"# } ?? ""
        return Data("""
            {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": "Slot/1"}],
             "participant": [{"actor": {"reference": "Patient/2"\(identifier)}, "status": "accepted"},
                             {"actor": {"reference": "Location/1"}, "status": "accepted"}]}
            """.utf8)
    }

    @Test func theNumberIsKeptOnlyAsItsKeyedHashAndFindsThePatientsExchanges() async throws {
        try await withTemporaryDirectory { keys in
            let (keyPath, key) = try Self.key(in: keys)
            try await ProxyHarness.with(behaviour: { request in
                request.method == "POST" ? .respond(status: 201, headers: [("Location", "Appointment/7")], body: Data("{}".utf8)) : ProxyHarness.slotBundle(request)
            }, audited: true, configure: { $0.audit.nhsNumberKey = keyPath }) { harness in
                let searched = try await harness.send(.GET, "/Slot?status=free&identifier=https://fhir.nhs.uk/Id/nhs-number%7C\(Self.patient)")
                #expect(searched.status == 200)
                var headers = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write")
                headers.append(("Content-Type", "application/fhir+json"))
                for number in [Self.patient, Self.otherPatient, nil] {
                    #expect(try await harness.send(.POST, "/Appointment", headers: headers, body: Self.booking(naming: number)).status == 201)
                }

                // The provider received what the consumer sent.
                #expect(harness.provider.requests.contains { $0.uri.contains("nhs-number%7C\(Self.patient)") })

                let store = try #require(harness.auditStore)
                let found = try await store.exchanges(try AuditQuery(parameters: [("nhs-number", Self.patient)], nhsNumberKey: key)).records
                #expect(found.map(\.method).sorted() == ["GET", "POST"])
                #expect(found.allSatisfy { $0.nhsNumberHMAC == key.lookUp(NHSNumber(trusted: Self.patient)) })
                #expect(try await store.exchanges(try AuditQuery(parameters: [("nhs-number", Self.otherPatient)], nhsNumberKey: key)).records.count == 1)
                let search = try #require(found.first { $0.method == "GET" })
                #expect(search.targetURL.hasSuffix("identifier=https://fhir.nhs.uk/Id/nhs-number%7C[nhs-number]"))
                let all = try await store.exchanges(AuditQuery()).records
                #expect(all.count == 4)
                #expect(all.filter { $0.nhsNumberHMAC == nil }.count == 1, "the booking that named no patient has no look-up")

                // Nowhere in the audit files: the database, its WAL, the journal.
                for file in try Self.files(under: harness.folder) where file.lastPathComponent != "nhs-number.key" {
                    let bytes = try Data(contentsOf: file)
                    #expect(bytes.range(of: Data(Self.patient.utf8)) == nil, "\(file.path) holds the NHS number in clear")
                }
            }
        }
    }

    /// A body over the look-up's limit is forwarded whole but not kept for reading.
    @Test func aBodyOverTheLookUpLimitIsForwardedButNotRead() async throws {
        try await withTemporaryDirectory { keys in
            let (keyPath, _) = try Self.key(in: keys)
            try await ProxyHarness.with(behaviour: { _ in .respond(status: 201, headers: [], body: Data("{}".utf8)) }, audited: true,
                                        configure: { $0.audit.nhsNumberKey = keyPath }) { harness in
                var body = Self.booking(naming: Self.patient)
                body.removeLast()
                body += Data(#", "comment": "\#(String(repeating: "x", count: 1 << 20))"}"#.utf8)
                #expect((try? JSONSerialization.jsonObject(with: body)) != nil, "a valid booking that names the patient, only too large")
                var headers = harness.sspHeaders(interaction: SampleDirectory.book, scope: "patient/*.write")
                headers.append(("Content-Type", "application/fhir+json"))
                #expect(try await harness.send(.POST, "/Appointment", headers: headers, body: body).status == 201)
                #expect(harness.provider.requests.last?.body.count == body.count)
                let records = try await harness.auditStore!.exchanges(AuditQuery()).records
                #expect(records.count == 1 && records.first?.nhsNumberHMAC == nil)
            }
        }
    }

    @Test func aQueryByNHSNumberNeedsAValidNumberAndTheKey() async throws {
        try await withTemporaryDirectory { keys in
            let (_, key) = try Self.key(in: keys)
            #expect(throws: AuditQueryError(parameter: "nhs-number", message: "records hold no NHS number look-ups here: audit.nhsNumberKey is not set",
                                          unprocessable: true)) {
                try AuditQuery(parameters: [("nhs-number", Self.patient)])
            }
            #expect(throws: AuditQueryError(parameter: "nhs-number", message: "is not an NHS number: it fails its check digit (expected 9)",
                                          unprocessable: true)) {
                try AuditQuery(parameters: [("nhs-number", "9000000001")], nhsNumberKey: key)
            }
            let query = try AuditQuery(parameters: [("nhs-number", Self.patient)], nhsNumberKey: key)
            #expect(query.nhsNumberHMAC?.count == 64)
            #expect(query.hasFieldFilter)
            let (_, otherKey) = try Self.key(in: keys.appendingPathComponent("other"))
            #expect(otherKey.lookUp(NHSNumber(trusted: Self.patient)) != query.nhsNumberHMAC, "another deployment's key gives another look-up")
        }
    }

    @Test(arguments: [
        ("Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|9000000009", "Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|[nhs-number]", ["9000000009"]),
        ("Patient?identifier=https://fhir.nhs.uk/Id/NHS-Number%7c9000000009&x=1", "Patient?identifier=https://fhir.nhs.uk/Id/NHS-Number%7c[nhs-number]&x=1", ["9000000009"]),
        ("/audit/exchanges?nhs-number=9000000001&limit=5", "/audit/exchanges?nhs-number=[nhs-number]&limit=5", []),
        ("Slot?status=free", "Slot?status=free", []),
    ])
    func numbersAreTakenOutOfRecordedText(_ text: String, _ redacted: String, _ valid: [String]) {
        let result = NHSNumberText.redacting(text)
        #expect(result.text == redacted)
        #expect(result.numbers.map(\.rawValue) == valid)
    }

    static func files(under folder: URL) throws -> [URL] {
        let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: [.isRegularFileKey])
        return (enumerator?.allObjects as? [URL] ?? []).filter { (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true }
    }
}
