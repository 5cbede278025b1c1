public import SwitchboardCore
public import Foundation

/// Example GP Connect payloads exactly as the simulator makes them — a slot search, a booking
/// and its answer, a CapabilityStatement, a patient — for tests, benchmarks and
/// `switchboard samples`.
public struct GPConnectExamples: Sendable {
    public let practice: SimulatedPractice
    /// The first day slots are offered.
    public let today: Date

    public init(practice: GPPracticeSimulator.Practice, seed: UInt64 = GPPracticeSimulator.defaultSeed, today: Date = Date()) {
        self.practice = SimulatedPractice(practice, seed: seed)
        self.today = today
    }

    /// The sample practice most examples use: The Densham Surgery, A81001, on EMIS Web.
    public static let samplePractice = GPPracticeSimulator.Practice(ods: "A81001", asid: "918999198001", name: "The Densham Surgery",
                                                                    systemName: "EMIS Web")

    /// A searchset of every free slot in the next `days` days (GP Connect allows up to 14), with
    /// their schedules, practitioners, locations and the organisation included.
    public func slotSearch(serviceRoot: String, days: Int = 14) throws -> Data {
        let state = PracticeState(profile: practice, from: today)
        let resources = state.slotSearchResources(state.freeSlots(from: today, to: today.addingTimeInterval(Double(days) * 86_400), now: today),
                                                  includePractitioners: true, includeLocations: true, includeOrganisation: true)
        return try FHIRJSON.encode(FHIRBundle(id: "slot-search-example", lastUpdated: FHIRDateTime.instant(today), serviceRoot: serviceRoot,
                                              resources: resources))
    }

    /// A booking of the first free slot for the practice's first patient, by NHS 111 South East.
    public func bookingRequest() throws -> Data {
        try FHIRJSON.encode(booking(state: PracticeState(profile: practice, from: today)))
    }

    /// The practice's answer to ``bookingRequest()``: the Appointment as booked.
    public func bookingResponse() throws -> Data {
        var state = PracticeState(profile: practice, from: today)
        let appointment = try state.book(booking(state: state), now: today).get()
        return try FHIRJSON.encode(appointment.resource)
    }

    public func capabilityStatement() throws -> Data {
        try FHIRJSON.encode(practice.capabilityStatement)
    }

    public func patient() throws -> Data {
        try FHIRJSON.encode(practice.patients[0])
    }

    /// Every example, by file name.
    public func files(serviceRoot: String, slotDays: Int = 14) throws -> [(name: String, data: Data)] {
        [
            ("slot-search.json", try slotSearch(serviceRoot: serviceRoot, days: slotDays)),
            ("book-appointment-request.json", try bookingRequest()),
            ("book-appointment-response.json", try bookingResponse()),
            ("metadata.json", try capabilityStatement()),
            ("patient.json", try patient()),
        ]
    }

    func booking(state: PracticeState) throws -> FHIRAppointment {
        guard let slot = state.freeSlots(from: today, to: .distantFuture, now: today).first else {
            throw ExampleError(description: "\(practice.practice.ods) has no free slot after \(FHIRDateTime.instant(today))")
        }
        let schedule = practice.schedules.first { $0.id == slot.scheduleID }
        return FHIRAppointment.booking(slot: practice.resource(slot), patient: practice.patients[0],
                                       location: schedule?.actor.first { $0.reference?.hasPrefix("Location/") == true },
                                       organisation: FHIROrganization.bookingOrganisation(ods: "RYE", name: "NHS 111 South East"),
                                       created: today)
    }

    struct ExampleError: Error, CustomStringConvertible {
        var description: String
    }
}

extension FHIRAppointment {
    /// A GP Connect booking of `slot` for `patient`, made by `organisation`. The patient
    /// participant names the patient's NHS number beside the reference (FHIR STU3
    /// `Reference.identifier`), which the audit record's NHS number look-up reads.
    public static func booking(slot: FHIRSlot, patient: FHIRPatient, location: FHIRReference?, organisation: FHIROrganization, created: Date,
                               description: String = "Urgent review booked by NHS 111", comment: String? = "Booked through Switchboard") -> FHIRAppointment {
        var patientReference = FHIRReference("Patient/\(patient.id)")
        patientReference.identifier = patient.nhsNumber.map { FHIRIdentifier(system: GPConnect.System.nhsNumber, value: $0) }
        return FHIRAppointment(status: "booked", description: description, start: slot.start, end: slot.end, slot: [FHIRReference("Slot/\(slot.id)")],
                               created: FHIRDateTime.instant(created), comment: comment,
                               participant: [.init(actor: patientReference)] + (location.map { [.init(actor: $0)] } ?? []),
                               bookingOrganisation: organisation)
    }
}

extension FHIROrganization {
    /// The contained Organization a consumer books as: its ODS code, name, type and telephone.
    public static func bookingOrganisation(ods: String, name: String, type: String = "urgent-care", telephone: String = "111") -> FHIROrganization {
        FHIROrganization(id: "1", meta: FHIRMeta(profile: [GPConnect.Profile.organization]),
                         identifier: [FHIRIdentifier(system: GPConnect.System.odsCode, value: ods)],
                         type: [FHIRCodeableConcept(coding: [FHIRCoding(system: GPConnect.System.organisationType, code: type)])],
                         name: name, telecom: [FHIRContactPoint(system: "phone", value: telephone, use: "work")])
    }
}
