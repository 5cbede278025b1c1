import SwitchboardCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SwitchboardSimulator

/// The short journey a 111 system makes through Switchboard in the demo: discover the practice's
/// endpoint, find the caller's record by NHS number, search free slots, book one, read it back,
/// try the same slot again (refused by the practice), and send one request under the wrong
/// interaction (refused by Switchboard).
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
    let consumerName: String
    /// The caller's NHS number, as the patient gives it to 111.
    let nhsNumber: String

    static let prefix = GPConnect.interactionPrefix

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
        struct EndpointBundle: Decodable {
            struct Entry: Decodable {
                struct Resource: Decodable { var address: String? }
                var resource: Resource
            }
            var entry: [Entry]?
        }
        guard discovery.status == 200, let address = (try? JSONDecoder().decode(EndpointBundle.self, from: discovery.body))?.entry?.first?.resource.address else {
            throw DemoError("discovery found no endpoint for \(practiceODS) (status \(discovery.status))")
        }
        record(Step(title: "Discover the practice's endpoint", method: "GET /Endpoint", interaction: nil, status: discovery.status,
                    note: address, traceID: ""))

        // 2. Find the caller's record at the practice.
        let findPatient = Self.prefix + "rest:search:patient-1"
        let found = try await ssp("GET", address, "/Patient?identifier=\(GPConnect.System.nhsNumber)%7C\(nhsNumber)", interaction: findPatient,
                                  scope: "patient/*.read")
        let patients = (try? FHIRJSON.decode(FHIRBundle.self, from: found.body))?.resources.compactMap { resource -> FHIRPatient? in
            if case .patient(let patient) = resource { patient } else { nil }
        } ?? []
        guard let patient = patients.first else { throw DemoError("the practice has no patient with NHS number \(nhsNumber) (status \(found.status))") }
        let name = patient.name.first.map { "\($0.given?.joined(separator: " ") ?? "") \($0.family ?? "")" } ?? ""
        record(Step(title: "Find the patient by NHS number", method: "GET /Patient", interaction: findPatient, status: found.status,
                    note: "Patient/\(patient.id) \(name)", traceID: found.traceID))

        // 3. Search free slots over the next week.
        let london = SimulatedPractice.londonTimeZone
        let today = Date()
        let from = FHIRDateTime.day(today, in: london)
        let to = FHIRDateTime.day(today.addingTimeInterval(6 * 86_400), in: london)
        let query = "/Slot?status=free&start=ge\(from)&end=le\(to)&_include=Slot:schedule&_include:recurse=Schedule:actor:Practitioner"
            + "&_include:recurse=Schedule:actor:Location"
            + "&searchFilter=https://fhir.nhs.uk/Id/ods-organization-code%7C\(consumerODS)"
            + "&searchFilter=https://fhir.nhs.uk/STU3/CodeSystem/GPConnect-OrganisationType-1%7Curgent-care"
        let search = try await ssp("GET", address, query, interaction: slotSearch, scope: "organization/*.read")
        let resources = (try? FHIRJSON.decode(FHIRBundle.self, from: search.body))?.resources ?? []
        let slots = resources.compactMap { resource -> FHIRSlot? in if case .slot(let slot) = resource { slot } else { nil } }
        guard let slot = slots.first else { throw DemoError("no free slots found (status \(search.status))") }
        let schedule = resources.compactMap { resource -> FHIRSchedule? in
            if case .schedule(let schedule) = resource, "Schedule/\(schedule.id)" == slot.schedule.reference { schedule } else { nil }
        }.first
        let clinician = resources.compactMap { resource -> String? in
            guard case .practitioner(let practitioner) = resource, schedule?.actor.contains(FHIRReference("Practitioner/\(practitioner.id)")) == true,
                  let name = practitioner.name.first else { return nil }
            return "\(name.prefix?.first ?? "") \(name.given?.first ?? "") \(name.family ?? "")"
        }.first ?? "a clinician"
        record(Step(title: "Search free slots", method: "GET /Slot", interaction: slotSearch, status: search.status,
                    note: "\(slots.count) free slots; first \(slot.start) with \(clinician)", traceID: search.traceID))

        // 4. Book the first one.
        let book = Self.prefix + "rest:create:appointment-1"
        let location = schedule?.actor.first { $0.reference?.hasPrefix("Location/") == true }
        let appointment = try bookingRequest(slot: slot, patient: patient, location: location)
        let booked = try await ssp("POST", address, "/Appointment", interaction: book, scope: "patient/*.write", body: appointment)
        let created = booked.headers.first(name: "location") ?? ""
        record(Step(title: "Book the slot", method: "POST /Appointment", interaction: book, status: booked.status,
                    note: created.isEmpty ? Self.code(booked.body) : "created \(created)", traceID: booked.traceID))
        guard booked.status == 201, !created.isEmpty else { return steps }

        // 5. Read it back.
        let read = Self.prefix + "rest:read:appointment-1"
        let readBack = try await ssp("GET", address, "/\(created)", interaction: read, scope: "patient/*.read")
        let status = (try? FHIRJSON.decode(FHIRAppointment.self, from: readBack.body))?.status ?? "?"
        record(Step(title: "Read the appointment back", method: "GET /\(created)", interaction: read, status: readBack.status,
                    note: "status \(status)", traceID: readBack.traceID))

        // 6. The same slot again: the practice refuses it.
        let again = try await ssp("POST", address, "/Appointment", interaction: book, scope: "patient/*.write", body: appointment)
        record(Step(title: "Book the same slot again", method: "POST /Appointment", interaction: book, status: again.status,
                    note: Self.code(again.body), traceID: again.traceID))

        // 7. A booking labelled as a slot search: Switchboard refuses it.
        let mislabelled = try await ssp("POST", address, "/Appointment", interaction: slotSearch, scope: "organization/*.read", body: appointment)
        record(Step(title: "Book under the wrong interaction", method: "POST /Appointment", interaction: slotSearch, status: mislabelled.status,
                    note: Self.code(mislabelled.body), traceID: mislabelled.traceID))
        return steps
    }

    /// The OperationOutcome's code (Switchboard's token, or the provider's Spine code).
    static func code(_ body: Data) -> String {
        struct Outcome: Decodable {
            struct Issue: Decodable {
                var details: FHIRCodeableConcept?
                var diagnostics: String?
            }
            var issue: [Issue]?
        }
        guard let issue = (try? JSONDecoder().decode(Outcome.self, from: body))?.issue?.first,
              let code = issue.details?.coding?.first?.code else { return "" }
        return code.allSatisfy(\.isNumber) ? (issue.diagnostics ?? code) : code
    }

    /// A GP Connect booking of `slot` for `patient`, made by this 111 service.
    func bookingRequest(slot: FHIRSlot, patient: FHIRPatient, location: FHIRReference?) throws -> Data {
        try FHIRJSON.encode(FHIRAppointment.booking(slot: slot, patient: patient, location: location,
                                                    organisation: .bookingOrganisation(ods: consumerODS, name: consumerName), created: Date(),
                                                    comment: "Booked through Switchboard (demo)"))
    }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: Data
        var traceID: String
    }

    func ssp(_ method: String, _ address: String, _ fhirRequest: String, interaction: String, scope: String, body: Data? = nil) async throws -> Answer {
        let traceID = UUID().uuidString.lowercased()
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
