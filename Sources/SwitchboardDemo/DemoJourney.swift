import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// The short journey a 111 system makes through Switchboard in the demo: discover the practice's
/// endpoint, search free slots, book one, read it back, try the same slot again (refused by the
/// practice), and send one request under the wrong interaction (refused by Switchboard).
struct DemoJourney {
    struct Step {
        var title: String
        var method: String
        var interaction: String?
        var status: Int
        var note: String
        var traceID: String
    }

    let client: HTTPClient
    let proxy: String
    let practiceODS: String
    let practiceName: String
    let practiceASID: String
    let consumerASID: String
    let consumerODS: String
    let fixtures: URL

    static let prefix = "urn:nhs:names:services:gpconnect:fhir:"

    func run(_ report: (Step) -> Void) async throws -> [Step] {
        var steps: [Step] = []
        func record(_ step: Step) {
            steps.append(step)
            report(step)
        }

        // 1. Discover the practice's slot-search endpoint, the SDS way.
        let slotSearch = Self.prefix + "rest:search:slot-1"
        let discovery = try await get("/Endpoint?organization=https://fhir.nhs.uk/Id/ods-organization-code%7C\(practiceODS)&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId%7C\(slotSearch)",
                                       headers: [])
        let bundle = try JSONSerialization.jsonObject(with: discovery.body) as? [String: Any]
        let endpoint = ((bundle?["entry"] as? [[String: Any]])?.first?["resource"] as? [String: Any])
        guard let address = endpoint?["address"] as? String else { throw DemoError("discovery found no endpoint for \(practiceODS)") }
        record(Step(title: "Discover the practice's endpoint", method: "GET /Endpoint", interaction: nil, status: discovery.status,
                    note: address, traceID: ""))

        // 2. Search free slots over the next week.
        let today = Date()
        let from = String(today.formatted(.iso8601).prefix(10))
        let to = String(today.addingTimeInterval(6 * 86_400).formatted(.iso8601).prefix(10))
        let query = "/Slot?status=free&start=ge\(from)&end=le\(to)&_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner"
            + "&searchFilter=https://fhir.nhs.uk/Id/ods-organization-code%7C\(consumerODS)"
            + "&searchFilter=https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1%7Curgent-care"
        let search = try await ssp("GET", address, query, interaction: slotSearch, scope: "organization/*.read")
        let slots = ((try JSONSerialization.jsonObject(with: search.body) as? [String: Any])?["entry"] as? [[String: Any]] ?? [])
            .compactMap { $0["resource"] as? [String: Any] }.filter { $0["resourceType"] as? String == "Slot" }
        guard let slot = slots.first, let slotID = slot["id"] as? String, let start = slot["start"] as? String, let end = slot["end"] as? String else {
            throw DemoError("no free slots found (status \(search.status))")
        }
        record(Step(title: "Search free slots", method: "GET /Slot", interaction: slotSearch, status: search.status,
                    note: "\(slots.count) free slots; first \(start)", traceID: search.traceID))

        // 3. Book the first one.
        let book = Self.prefix + "rest:create:appointment-1"
        let appointment = try bookingRequest(slotID: slotID, start: start, end: end)
        let booked = try await ssp("POST", address, "/Appointment", interaction: book, scope: "patient/*.write", body: appointment)
        let location = booked.headers.first(name: "location") ?? ""
        record(Step(title: "Book the slot", method: "POST /Appointment", interaction: book, status: booked.status,
                    note: location.isEmpty ? "" : "created \(location)", traceID: booked.traceID))

        // 4. Read it back.
        let read = Self.prefix + "rest:read:appointment-1"
        let readBack = try await ssp("GET", address, "/\(location)", interaction: read, scope: "patient/*.read")
        let status = (try? JSONSerialization.jsonObject(with: readBack.body) as? [String: Any])?["status"] as? String ?? "?"
        record(Step(title: "Read the appointment back", method: "GET /\(location)", interaction: read, status: readBack.status,
                    note: "status \(status)", traceID: readBack.traceID))

        // 5. The same slot again: the practice refuses it.
        let again = try await ssp("POST", address, "/Appointment", interaction: book, scope: "patient/*.write", body: appointment)
        record(Step(title: "Book the same slot again", method: "POST /Appointment", interaction: book, status: again.status,
                    note: Self.code(again.body), traceID: again.traceID))

        // 6. A booking labelled as a slot search: Switchboard refuses it.
        let mislabelled = try await ssp("POST", address, "/Appointment", interaction: slotSearch, scope: "organization/*.read", body: appointment)
        record(Step(title: "Book under the wrong interaction", method: "POST /Appointment", interaction: slotSearch, status: mislabelled.status,
                    note: Self.code(mislabelled.body), traceID: mislabelled.traceID))
        return steps
    }

    /// The OperationOutcome's code (Switchboard's token, or the provider's Spine code).
    static func code(_ body: Data) -> String {
        let outcome = try? JSONSerialization.jsonObject(with: body) as? [String: Any]
        let issue = (outcome?["issue"] as? [[String: Any]])?.first
        let coding = ((issue?["details"] as? [String: Any])?["coding"] as? [[String: Any]])?.first
        return (coding?["code"] as? String).map { code in code.allSatisfy(\.isNumber) ? (issue?["diagnostics"] as? String ?? code) : code } ?? ""
    }

    func bookingRequest(slotID: String, start: String, end: String) throws -> Data {
        var appointment = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtures.appendingPathComponent("book_appt_request_example.json"))) as? [String: Any] ?? [:]
        appointment["slot"] = [["reference": "Slot/\(slotID)"]]
        appointment["start"] = start
        appointment["end"] = end
        appointment["created"] = Date().formatted(.iso8601)
        appointment["description"] = "Urgent review booked by NHS 111"
        appointment["comment"] = "Booked through Switchboard (demo)"
        if var contained = appointment["contained"] as? [[String: Any]], !contained.isEmpty {
            contained[0]["identifier"] = [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": consumerODS]]
            contained[0]["name"] = "NHS 111 South East"
            contained[0]["type"] = [["coding": [["system": "https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1", "code": "urgent-care"]]]]
            appointment["contained"] = contained
        }
        return try JSONSerialization.data(withJSONObject: appointment, options: [.sortedKeys])
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var traceID: String
    }

    func ssp(_ method: String, _ address: String, _ fhirRequest: String, interaction: String, scope: String, body: Data? = nil) async throws -> Answer {
        let traceID = UUID().uuidString
        var headers: [(String, String)] = [
            ("Ssp-TraceID", traceID), ("Ssp-From", consumerASID), ("Ssp-To", practiceASID), ("Ssp-InteractionID", interaction),
            ("Authorization", "Bearer " + ConsumerJWT(audience: address, scope: scope).token), ("Accept", "application/fhir+json"),
        ]
        if body != nil { headers.append(("Content-Type", "application/fhir+json")) }
        var answer = try await send(method, "/\(address)\(fhirRequest)", headers: headers, body: body)
        answer.traceID = traceID
        return answer
    }

    func get(_ path: String, headers: [(String, String)]) async throws -> Answer {
        try await send("GET", path, headers: headers, body: nil)
    }

    func send(_ method: String, _ path: String, headers: [(String, String)], body: Data?) async throws -> Answer {
        var request = HTTPClientRequest(url: proxy + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers = HTTPHeaders(headers)
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await client.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: Data(bytes.readableBytesView), traceID: "")
    }
}

struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
