import Foundation
@testable import SwitchboardSimulator
import SwitchboardCore
import Testing

/// The practices the simulator makes in code: fixed by their seed, different from each other,
/// with slots on the practice's wall clock through the changes of British Summer Time.
@Suite struct SimulatedPracticeTests {
    static let densham = GPPracticeSimulator.Practice(ods: "A81001", asid: "918999198001", name: "The Densham Surgery", systemName: "EMIS Web")
    static let riverside = GPPracticeSimulator.Practice(ods: "B82617", asid: "918999198002", name: "Riverside Medical Practice", systemName: "EMIS Web")
    static let london = SimulatedPractice.londonTimeZone

    static func day(_ text: String) -> Date { FHIRDateTime.parse(text, in: london)! }

    @Test func theSameSeedMakesTheSamePractice() throws {
        let first = SimulatedPractice(Self.densham, seed: 7)
        let second = SimulatedPractice(Self.densham, seed: 7)
        #expect(first.practitioners == second.practitioners)
        #expect(first.schedules == second.schedules)
        #expect(first.locations == second.locations)
        #expect(first.patients == second.patients)
        let from = Self.day("2026-12-01")
        #expect(first.slots(from: from, days: 14).map(first.resource) == second.slots(from: from, days: 14).map(second.resource))

        let other = SimulatedPractice(Self.densham, seed: 8)
        #expect(other.practitioners != first.practitioners || other.slots(from: from, days: 14).map(\.id) != first.slots(from: from, days: 14).map(\.id))
    }

    @Test func practicesDifferInStaffPlacesAndClinics() {
        let pairs = [("A81001", "B82617"), ("C84001", "M85011"), ("P87002", "A81001")]
        for (left, right) in pairs {
            let a = SimulatedPractice(.init(ods: left, asid: "918999198001", name: left), seed: GPPracticeSimulator.defaultSeed)
            let b = SimulatedPractice(.init(ods: right, asid: "918999198002", name: right), seed: GPPracticeSimulator.defaultSeed)
            #expect(a.practitioners.map(\.name) != b.practitioners.map(\.name), "\(left) and \(right) have the same clinicians")
            #expect(a.locations.map(\.address) != b.locations.map(\.address))
            let from = Self.day("2026-12-01")
            #expect(a.slots(from: from, days: 14).map(\.id) != b.slots(from: from, days: 14).map(\.id), "\(left) and \(right) have the same slot pattern")
        }
    }

    @Test func everyResourceHangsTogether() {
        let practice = SimulatedPractice(Self.riverside, seed: GPPracticeSimulator.defaultSeed)
        #expect((3...5).contains(practice.practitioners.count))
        #expect(practice.schedules.count == practice.practitioners.count)
        let locations = Set(practice.locations.map { "Location/\($0.id)" })
        let practitioners = Set(practice.practitioners.map { "Practitioner/\($0.id)" })
        for schedule in practice.schedules {
            let actors = schedule.actor.compactMap(\.reference)
            #expect(actors.contains { locations.contains($0) }, "\(schedule.id) has no location")
            #expect(actors.contains { practitioners.contains($0) }, "\(schedule.id) has no practitioner")
        }
        for location in practice.locations { #expect(location.managingOrganization.reference == "Organization/\(practice.organization.id)") }
        #expect(practice.organization.identifier == [FHIRIdentifier(system: GPConnect.System.odsCode, value: "B82617")])
        for patient in practice.patients {
            let number = patient.nhsNumber ?? ""
            #expect(NHSNumber(number) != nil, "'\(number)' fails its check digit")
            #expect(number.hasPrefix("999"), "sample NHS numbers come from the range never issued")
        }
        let slots = practice.slots(from: Self.day("2026-12-01"), days: 28)
        let schedules = Set(practice.schedules.map(\.id))
        #expect(slots.allSatisfy { schedules.contains($0.scheduleID) && $0.end > $0.start })
        #expect(Set(slots.map(\.id)).count == slots.count, "slot ids are unique")
        #expect(slots.contains { !$0.free } && slots.contains { $0.free }, "some slots are already taken, most are free")
    }

    @Test func noClinicsOnSundays() {
        for ods in ["A81001", "B82617", "C84001", "M85011", "P87002"] {
            let practice = SimulatedPractice(.init(ods: ods, asid: "918999198001", name: ods), seed: GPPracticeSimulator.defaultSeed)
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = Self.london
            let weekdays = Set(practice.slots(from: Self.day("2026-12-01"), days: 28).map { calendar.component(.weekday, from: $0.start) })
            #expect(!weekdays.contains(1), "\(ods) has Sunday slots")
            #expect(weekdays.count >= 3)
        }
    }

    /// British Summer Time begins on 28 March 2027 and ends on 31 October 2027: a clinic keeps
    /// its wall-clock times, so its UTC times move by an hour and its offsets change.
    @Test(arguments: [("2027-03-22", "2027-03-28", "+00:00", "+01:00"), ("2027-10-25", "2027-10-31", "+01:00", "+00:00")])
    func slotsFollowTheWallClockAcrossDaylightSaving(from: String, change: String, before: String, after: String) throws {
        let practice = SimulatedPractice(Self.densham, seed: GPPracticeSimulator.defaultSeed)
        let slots = practice.slots(from: Self.day(from), days: 14).map(practice.resource)
        let changeDay = Self.day(change)
        let earlier = slots.filter { Self.day(String($0.start.prefix(10))) < changeDay }
        let later = slots.filter { Self.day(String($0.start.prefix(10))) > changeDay }
        try #require(!earlier.isEmpty && !later.isEmpty)
        #expect(earlier.allSatisfy { $0.start.hasSuffix(before) && $0.end.hasSuffix(before) })
        #expect(later.allSatisfy { $0.start.hasSuffix(after) && $0.end.hasSuffix(after) })
        // The same clinic's first slot on a Tuesday before and after: the same wall-clock time.
        func wallClock(_ slot: FHIRSlot) -> String { String(slot.start.dropFirst(11).prefix(5)) }
        let firstBefore = try #require(earlier.first)
        let sameLater = try #require(later.first { $0.schedule == firstBefore.schedule && wallClock($0) == wallClock(firstBefore) })
        let instantBefore = try #require(FHIRDateTime.parse(firstBefore.start, in: Self.london))
        let instantLater = try #require(FHIRDateTime.parse(sameLater.start, in: Self.london))
        let hours = (instantLater.timeIntervalSince(instantBefore) / 3600).rounded()
        #expect(Int(hours) % 24 == (before == "+00:00" ? 23 : 1), "the UTC time moves by an hour across the change")
    }

    @Test func dateTimesCarryTheOffsetInForce() {
        #expect(FHIRDateTime.string(Self.day("2027-01-15").addingTimeInterval(9 * 3600), in: Self.london) == "2027-01-15T09:00:00+00:00")
        #expect(FHIRDateTime.string(Self.day("2027-07-15").addingTimeInterval(9 * 3600), in: Self.london) == "2027-07-15T09:00:00+01:00")
        #expect(FHIRDateTime.instant(Self.day("2027-07-15")) == "2027-07-14T23:00:00Z")
        #expect(FHIRDateTime.parse("2027-02-30", in: Self.london) == nil)
    }

    @Test func bookingFollowsGPConnectRules() throws {
        let practice = SimulatedPractice(Self.densham, seed: GPPracticeSimulator.defaultSeed)
        let now = Self.day("2026-12-01")
        var state = PracticeState(profile: practice, from: now)
        let free = state.freeSlots(from: now, to: .distantFuture, now: now)
        let slot = practice.resource(free[0])
        let organisation = FHIROrganization.bookingOrganisation(ods: "RYE", name: "NHS 111 South East")
        let booking = FHIRAppointment.booking(slot: slot, patient: practice.patients[0], location: nil, organisation: organisation, created: now)

        let booked = try state.book(booking, now: now).get()
        #expect(booked.resource.id == "1")
        #expect(booked.resource.start == slot.start)
        #expect(booked.resource.participant?.contains { $0.actor?.reference?.hasPrefix("Practitioner/") == true } == true)
        guard case .failure(.conflict("DUPLICATE_REJECTED", _)) = state.book(booking, now: now) else { Issue.record("a taken slot is refused 409"); return }

        var unknownPatient = FHIRAppointment.booking(slot: practice.resource(free[1]), patient: practice.patients[0], location: nil,
                                                     organisation: organisation, created: now)
        unknownPatient.participant = [.init(actor: FHIRReference("Patient/99"))]
        guard case .failure(.unprocessable("REFERENCE_NOT_FOUND", _)) = state.book(unknownPatient, now: now) else { Issue.record("unknown patient"); return }

        var noOrganisation = FHIRAppointment.booking(slot: practice.resource(free[1]), patient: practice.patients[0], location: nil,
                                                     organisation: organisation, created: now)
        noOrganisation.contained = nil
        guard case .failure(.unprocessable("INVALID_RESOURCE", _)) = state.book(noOrganisation, now: now) else { Issue.record("no booking organisation"); return }

        var apart = FHIRAppointment.booking(slot: practice.resource(free[1]), patient: practice.patients[0], location: nil,
                                            organisation: organisation, created: now)
        apart.slot = [FHIRReference("Slot/\(free[1].id)"), FHIRReference("Slot/\(free.last!.id)")]
        apart.start = nil
        apart.end = nil
        guard case .failure(.unprocessable("INVALID_RESOURCE", _)) = state.book(apart, now: now) else { Issue.record("slots far apart"); return }

        let later = free.last!.end.addingTimeInterval(60)
        guard case .failure(.unprocessable("INVALID_RESOURCE", _)) = state.book(
            FHIRAppointment.booking(slot: practice.resource(free[2]), patient: practice.patients[0], location: nil, organisation: organisation, created: now),
            now: later) else { Issue.record("a past slot is refused"); return }
    }

    @Test func examplesAreWhatTheSimulatorServes() throws {
        let examples = GPConnectExamples(practice: Self.densham, today: Self.day("2026-12-01"))
        let bundle = try FHIRJSON.decode(FHIRBundle.self, from: examples.slotSearch(serviceRoot: "https://gp.example/A81001/STU3/1/gpconnect"))
        #expect(bundle.resources.contains { if case .slot = $0 { true } else { false } })
        let booked = try FHIRJSON.decode(FHIRAppointment.self, from: examples.bookingResponse())
        #expect(booked.id == "1" && booked.status == "booked")
        #expect(try examples.files(serviceRoot: "https://gp.example").count == 5)
    }
}
