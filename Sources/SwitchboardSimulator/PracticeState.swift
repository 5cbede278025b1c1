import Foundation

/// One simulated practice's appointment book: generated free slots, booked appointments, and the
/// fixture resources (schedule, practitioner, location, organisation) around them.
///
/// Resources are JSON values (strings, numbers, arrays, dictionaries of them) held only behind
/// the book's lock, hence the unchecked conformance.
struct PracticeState: @unchecked Sendable {
    struct Slot {
        var id: String
        var scheduleID: String
        var start: Date
        var end: Date
        var free: Bool
    }

    struct Appointment {
        var id: String
        var version: Int
        var resource: [String: Any]
        var slotIDs: [String]
        var patientID: String?
    }

    let practice: GPPracticeSimulator.Practice
    var slots: [String: Slot] = [:]
    var slotOrder: [String] = []
    var appointments: [String: Appointment] = [:]
    var nextAppointment = 1
    /// Schedule, Practitioner, Location and Organization resources by `Type/id`.
    var resources: [String: [String: Any]] = [:]

    /// Slots every 15 minutes, 09:00–12:00 UTC, for two clinicians, for the next 14 days from `day`.
    init(practice: GPPracticeSimulator.Practice, fixtures: Fixtures, from day: Date) {
        self.practice = practice
        for resource in fixtures.slotSearchIncluded {
            var resource = resource
            let type = resource["resourceType"] as? String ?? ""
            if type == "Organization" {
                resource["name"] = practice.name
                resource["identifier"] = [["system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": practice.ods]]
            }
            resources["\(type)/\(resource["id"] as? String ?? "")"] = resource
        }
        var second = resources["Schedule/14"] ?? [:]
        second["id"] = "15"
        resources["Schedule/15"] = second
        let calendar = Calendar(identifier: .gregorian)
        var utc = calendar
        utc.timeZone = TimeZone(identifier: "UTC")!
        let start = utc.startOfDay(for: day)
        var number = 1000
        for dayOffset in 0..<14 {
            for quarter in 0..<12 {
                for schedule in ["14", "15"] {
                    let slotStart = start.addingTimeInterval(Double(dayOffset) * 86_400 + 9 * 3600 + Double(quarter) * 900)
                    number += 1
                    let slot = Slot(id: "\(number)", scheduleID: schedule, start: slotStart, end: slotStart.addingTimeInterval(900), free: true)
                    slots[slot.id] = slot
                    slotOrder.append(slot.id)
                }
            }
        }
    }

    func slotResource(_ slot: Slot) -> [String: Any] {
        [
            "resourceType": "Slot", "id": slot.id,
            "meta": ["versionId": "1", "profile": ["https://fhir.nhs.uk/STU3/StructureDefinition/GPConnect-Slot-1"]],
            "extension": [["url": "https://fhir.nhs.uk/STU3/StructureDefinition/Extension-GPConnect-DeliveryChannel-2", "valueCode": "In-person"]],
            "serviceType": [["text": "General GP Appointment"]],
            "schedule": ["reference": "Schedule/\(slot.scheduleID)"],
            "status": slot.free ? "free" : "busy",
            "start": FHIRDate.string(slot.start), "end": FHIRDate.string(slot.end),
        ]
    }
}

/// The published GP Connect examples the simulator is built from.
struct Fixtures: Sendable {
    let capabilityStatement: Data
    /// Schedule, Practitioner, Location and Organization from the slot-search example.
    nonisolated(unsafe) let slotSearchIncluded: [[String: Any]]
    let patient: Data?

    init(folder: URL) throws {
        capabilityStatement = try Data(contentsOf: folder.appendingPathComponent("get_capability_statement_response_example.json"))
        let bundle = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("search_for_free_slots_response_example.json"))) as? [String: Any]
        slotSearchIncluded = ((bundle?["entry"] as? [[String: Any]]) ?? []).compactMap { $0["resource"] as? [String: Any] }
            .filter { ($0["resourceType"] as? String) != "Slot" }
        patient = try? Data(contentsOf: folder.appendingPathComponent("read_patient_response_example.json"))
    }
}

enum FHIRDate {
    static func string(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false).timeZone(separator: .colon))
            .replacingOccurrences(of: "Z", with: "+00:00")
    }

    /// `2026-11-27`, or a date-time with an offset.
    static func parse(_ text: String) -> Date? {
        if text.count == 10 { return try? Date(text + "T00:00:00Z", strategy: .iso8601) }
        return try? Date(text, strategy: .iso8601)
    }
}
