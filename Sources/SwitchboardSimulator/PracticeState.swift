import Foundation
import SwitchboardCore

/// One simulated practice's appointment book: its slots for the coming weeks, and the
/// appointments booked into them.
struct PracticeState: Sendable {
    struct Appointment: Sendable {
        var resource: FHIRAppointment
        var version: Int
        var slotIDs: [String]
        var patientID: String
        var start: Date
    }

    /// How far ahead the book is open, in days.
    static let bookingHorizonDays = 28

    let profile: SimulatedPractice
    var slots: [String: SimulatedPractice.Slot] = [:]
    /// Slot ids in time order.
    var slotOrder: [String] = []
    var appointments: [String: Appointment] = [:]
    var nextAppointment = 1

    init(profile: SimulatedPractice, from day: Date) {
        self.profile = profile
        for slot in profile.slots(from: day, days: Self.bookingHorizonDays) {
            slots[slot.id] = slot
            slotOrder.append(slot.id)
        }
    }

    var practice: GPPracticeSimulator.Practice { profile.practice }

    /// The free slots starting no earlier than `from` (nor `now`) and ending by `to`, in time order.
    func freeSlots(from: Date, to: Date, now: Date) -> [SimulatedPractice.Slot] {
        slotOrder.compactMap { slots[$0] }.filter { $0.free && $0.start >= max(from, now) && $0.end <= to }
    }

    /// A searchset for a slot search: the slots, then the schedules they belong to (with the
    /// planning horizon the answer covers), and the practitioners, locations and organisation the
    /// consumer asked to include.
    func slotSearchResources(_ found: [SimulatedPractice.Slot], includePractitioners: Bool, includeLocations: Bool,
                             includeOrganisation: Bool) -> [FHIRResource] {
        guard !found.isEmpty else { return [] }
        var resources = found.map { FHIRResource.slot(profile.resource($0)) }
        let scheduleIDs = Set(found.map(\.scheduleID))
        var actors = Set<String>()
        for schedule in profile.schedules where scheduleIDs.contains(schedule.id) {
            var schedule = schedule
            let own = found.filter { $0.scheduleID == schedule.id }
            schedule.planningHorizon = FHIRPeriod(start: own.first.map { FHIRDateTime.string($0.start, in: profile.timeZone) },
                                                  end: own.map(\.end).max().map { FHIRDateTime.string($0, in: profile.timeZone) })
            resources.append(.schedule(schedule))
            actors.formUnion(schedule.actor.compactMap(\.reference))
        }
        if includePractitioners {
            resources += profile.practitioners.filter { actors.contains("Practitioner/\($0.id)") }.map(FHIRResource.practitioner)
        }
        if includeLocations {
            resources += profile.locations.filter { actors.contains("Location/\($0.id)") }.map(FHIRResource.location)
        }
        if includeOrganisation && includeLocations {
            resources.append(.organization(profile.organization))
        }
        return resources
    }

    /// A read of a Practitioner, Location, Organization or Patient by id.
    func resource(type: String, id: String) -> FHIRResource? {
        switch type {
        case "Practitioner": profile.practitioners.first { $0.id == id }.map(FHIRResource.practitioner)
        case "Location": profile.locations.first { $0.id == id }.map(FHIRResource.location)
        case "Organization": profile.organization.id == id ? .organization(profile.organization) : nil
        case "Patient": profile.patients.first { $0.id == id }.map(FHIRResource.patient)
        default: nil
        }
    }
}

extension PracticeState {
    /// Books `request` as GP Connect 1.6.0 says a provider does: a future, free, consecutive run
    /// of one schedule's slots for a registered patient, by a named booking organisation.
    mutating func book(_ request: FHIRAppointment, now: Date) -> Result<Appointment, ProviderError> {
        guard request.status == "booked" else { return .failure(.unprocessable("INVALID_RESOURCE", "status must be booked")) }
        guard request.reason == nil, request.specialty == nil else {
            return .failure(.unprocessable("INVALID_RESOURCE", "reason and specialty must not be sent"))
        }
        guard request.id == nil else { return .failure(.unprocessable("INVALID_RESOURCE", "a new appointment must not have an id")) }
        if let problem = Self.textProblem(request) { return .failure(problem) }
        guard let bookingReference = request.extension?.first(where: { $0.url == GPConnect.Extension.bookingOrganisation })?.valueReference?.reference,
              let organisation = request.contained?.first(where: { "#\($0.id)" == bookingReference }),
              organisation.identifier?.contains(where: { $0.system == GPConnect.System.odsCode }) == true, organisation.name != nil else {
            return .failure(.unprocessable("INVALID_RESOURCE",
                                           "the booking organisation (a contained Organization with its ODS code and name, referenced by the BookingOrganisation extension) is required"))
        }
        let slotIDs = (request.slot ?? []).compactMap { $0.reference?.split(separator: "/").last.map(String.init) }
        guard !slotIDs.isEmpty, let patientID = request.patientID else {
            return .failure(.unprocessable("INVALID_RESOURCE", "an appointment needs at least one slot and a patient participant"))
        }
        guard profile.patients.contains(where: { $0.id == patientID }) else {
            return .failure(.unprocessable("REFERENCE_NOT_FOUND", "no Patient/\(patientID) is registered at this practice"))
        }
        var chosen: [SimulatedPractice.Slot] = []
        for id in slotIDs {
            guard let slot = slots[id] else { return .failure(.unprocessable("REFERENCE_NOT_FOUND", "no Slot/\(id)")) }
            guard slot.free else { return .failure(.conflict("DUPLICATE_REJECTED", "Slot/\(id) is no longer free")) }
            guard slot.start > now else { return .failure(.unprocessable("INVALID_RESOURCE", "Slot/\(id) is in the past")) }
            chosen.append(slot)
        }
        chosen.sort { $0.start < $1.start }
        for (earlier, later) in zip(chosen, chosen.dropFirst()) where later.start != earlier.end || later.scheduleID != earlier.scheduleID {
            return .failure(.unprocessable("INVALID_RESOURCE", "the slots must be consecutive slots of one schedule"))
        }
        let first = chosen.first!, last = chosen.last!
        if let start = request.start, FHIRDateTime.parse(start, in: profile.timeZone) != first.start {
            return .failure(.unprocessable("INVALID_RESOURCE", "start must be the first slot's start"))
        }
        if let end = request.end, FHIRDateTime.parse(end, in: profile.timeZone) != last.end {
            return .failure(.unprocessable("INVALID_RESOURCE", "end must be the last slot's end"))
        }
        let id = "\(nextAppointment)"
        nextAppointment += 1
        for slot in chosen { slots[slot.id]?.free = false }
        var resource = request
        resource.id = id
        resource.meta = FHIRMeta(versionId: "1", lastUpdated: FHIRDateTime.instant(now), profile: [GPConnect.Profile.appointment])
        resource.start = FHIRDateTime.string(first.start, in: profile.timeZone)
        resource.end = FHIRDateTime.string(last.end, in: profile.timeZone)
        if let schedule = profile.schedules.first(where: { $0.id == first.scheduleID }) {
            resource.serviceCategory = schedule.serviceCategory
            resource.extension = (resource.extension ?? []) + (schedule.extension ?? [])
            for actor in schedule.actor where !(resource.participant ?? []).contains(where: { $0.actor == actor }) {
                resource.participant = (resource.participant ?? []) + [.init(actor: actor)]
            }
        }
        resource.serviceType = [FHIRCodeableConcept(text: first.kind.serviceType)]
        resource.extension = (resource.extension ?? []) + [FHIRExtension(url: GPConnect.Extension.deliveryChannel, valueCode: first.kind.deliveryChannel)]
        let appointment = Appointment(resource: resource, version: 1, slotIDs: chosen.map(\.id), patientID: patientID, start: first.start)
        appointments[id] = appointment
        return .success(appointment)
    }

    /// Amends (only `description` and `comment` change) or cancels (only `status` and the
    /// cancellation reason change) an appointment that has not yet started.
    mutating func change(_ id: String, to request: FHIRAppointment, cancel: Bool, ifMatch: String?, now: Date) -> Result<Appointment, ProviderError> {
        guard var appointment = appointments[id] else { return .failure(.notFound("NO_RECORD_FOUND", "no Appointment/\(id)")) }
        if let ifMatch, ifMatch != "W/\"\(appointment.version)\"" {
            return .failure(.conflict("CONFLICTING_VALUES", "If-Match \(ifMatch) does not match version \(appointment.version)"))
        }
        guard request.id == id else { return .failure(.badRequest("BAD_REQUEST", "the body's id must be \(id), as in the URL")) }
        guard appointment.resource.status != "cancelled" else { return .failure(.unprocessable("INVALID_RESOURCE", "the appointment is cancelled")) }
        guard appointment.start > now else { return .failure(.unprocessable("INVALID_RESOURCE", "the appointment is in the past")) }
        guard request.slot == appointment.resource.slot,
              request.participant?.contains(where: { $0.actor?.reference == "Patient/\(appointment.patientID)" }) == true else {
            return .failure(.unprocessable("INVALID_RESOURCE", "the slots and the patient of an appointment cannot change"))
        }
        if cancel {
            guard request.status == "cancelled" else { return .failure(.unprocessable("INVALID_RESOURCE", "cancel needs status cancelled")) }
            guard request.description == appointment.resource.description, request.comment == appointment.resource.comment else {
                return .failure(.unprocessable("INVALID_RESOURCE", "a cancellation may change only the status and the cancellation reason"))
            }
            appointment.resource.status = "cancelled"
            if let reason = request.extension?.first(where: { $0.url == GPConnect.Extension.cancellationReason }) {
                appointment.resource.extension = (appointment.resource.extension ?? []) + [reason]
            }
            for slotID in appointment.slotIDs { slots[slotID]?.free = true }
        } else {
            guard request.status == appointment.resource.status else {
                return .failure(.unprocessable("INVALID_RESOURCE", "an amendment may change only the description and comment"))
            }
            if let problem = Self.textProblem(request) { return .failure(problem) }
            appointment.resource.description = request.description
            appointment.resource.comment = request.comment
        }
        appointment.version += 1
        appointment.resource.meta = FHIRMeta(versionId: "\(appointment.version)", lastUpdated: FHIRDateTime.instant(now),
                                             profile: [GPConnect.Profile.appointment])
        appointments[id] = appointment
        return .success(appointment)
    }

    /// GP Connect's limits on the free text of an appointment.
    static func textProblem(_ request: FHIRAppointment) -> ProviderError? {
        if let description = request.description, description.count > 100 {
            return .unprocessable("INVALID_RESOURCE", "description must be at most 100 characters")
        }
        if let comment = request.comment, comment.count > 500 {
            return .unprocessable("INVALID_RESOURCE", "comment must be at most 500 characters")
        }
        return nil
    }
}
