public import Foundation
import SwitchboardCore

/// One simulated GP practice, built in code from ``SampleData`` and a seed: its organisation,
/// surgeries, clinicians, their weekly clinics, registered patients and the slots those clinics
/// make. The same practice and seed always give the same resources.
public struct SimulatedPractice: Sendable {
    /// A clinician's weekly clinic: the schedule it books under, the days and sessions it runs.
    struct Clinic: Sendable {
        var scheduleID: String
        /// ISO weekdays, 1 = Monday … 7 = Sunday.
        var weekdays: Set<Int>
        var sessions: [SampleData.Session]
        var slotMinutes: Int
        var kinds: [SampleData.SlotKind]
    }

    /// A slot a clinic makes, with the instants it covers.
    struct Slot: Sendable {
        var id: String
        var scheduleID: String
        var start: Date
        var end: Date
        var kind: SampleData.SlotKind
        var free: Bool
    }

    public let practice: GPPracticeSimulator.Practice
    /// Where the practice's clocks are: Europe/London.
    public let timeZone: TimeZone
    public let organization: FHIROrganization
    public let locations: [FHIRLocation]
    public let practitioners: [FHIRPractitioner]
    public let schedules: [FHIRSchedule]
    public let patients: [FHIRPatient]
    let clinics: [Clinic]
    /// Drawn from once per slot, in slot order, so that which slots are already taken is fixed.
    let seed: UInt64

    public static let londonTimeZone = TimeZone(identifier: "Europe/London")!

    public init(_ practice: GPPracticeSimulator.Practice, seed: UInt64) {
        self.practice = practice
        self.seed = seed
        timeZone = Self.londonTimeZone
        var random = SeededGenerator(seed: seed, name: practice.ods)
        let town = random.pick(SampleData.towns)
        func postcode() -> String {
            let inwardLetters = Array("ABDEFGHJLNPQRSTUWXYZ")
            return "\(town.postcodeArea)\(Int.random(in: 1...20, using: &random)) \(Int.random(in: 1...9, using: &random))"
                + "\(random.pick(inwardLetters))\(random.pick(inwardLetters))"
        }
        func telephone() -> FHIRContactPoint {
            FHIRContactPoint(system: "phone", value: town.telephonePrefix + String(format: "%04d", Int.random(in: 0...999, using: &random)), use: "work")
        }
        func address() -> FHIRAddress {
            FHIRAddress(line: ["\(Int.random(in: 1...180, using: &random)) \(random.pick(SampleData.streets))"], city: town.name,
                        district: town.district, postalCode: postcode())
        }
        let version = "1"

        let organisationAddress = address()
        let organisationTelephone = telephone()
        organization = FHIROrganization(id: "1", meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.organization]),
                                        identifier: [FHIRIdentifier(system: GPConnect.System.odsCode, value: practice.ods)],
                                        type: nil, name: practice.name, address: [organisationAddress], telecom: [organisationTelephone])

        // The main surgery, and a branch at some practices.
        var locations = [FHIRLocation(id: "1", meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.location]), name: practice.name,
                                      address: organisationAddress, telecom: [organisationTelephone],
                                      managingOrganization: FHIRReference("Organization/1"))]
        if Bool.random(using: &random) {
            let branch = "\(random.pick(SampleData.branchNames)) \(town.name) Branch Surgery"
            locations.append(FHIRLocation(id: "2", meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.location]), name: branch,
                                          address: address(), telecom: [telephone()], managingOrganization: FHIRReference("Organization/1")))
        }
        self.locations = locations

        // Three to five clinicians, each with a clinic of their own.
        let count = Int.random(in: 3...5, using: &random)
        let people = random.pick(count, of: SampleData.givenNames)
        let families = random.pick(count + 3, of: SampleData.familyNames)
        let slotMinutes = random.pick(SampleData.slotLengths)
        let runsSaturdays = Int.random(in: 0..<3, using: &random) == 0
        var practitioners: [FHIRPractitioner] = []
        var schedules: [FHIRSchedule] = []
        var clinics: [Clinic] = []
        for (index, person) in people.enumerated() {
            let id = "\(index + 1)"
            practitioners.append(FHIRPractitioner(
                id: id, meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.practitioner]),
                identifier: [FHIRIdentifier(system: GPConnect.System.sdsUserID, value: random.digits(12)),
                             FHIRIdentifier(system: GPConnect.System.sdsRoleProfileID, value: random.digits(12))],
                name: [FHIRHumanName(use: "usual", family: families[index], given: [person.given], prefix: ["Dr"])],
                gender: person.gender))
            let role = index == 0 ? SampleData.jobRoles[0] : random.pick(SampleData.jobRoles)
            let location = locations[index % locations.count]
            var weekdays = Set(random.pick(Int.random(in: 3...5, using: &random), of: Array(1...5)))
            var sessions = [random.pick(SampleData.morningSessions)]
            if Bool.random(using: &random) { sessions.append(random.pick(SampleData.afternoonSessions)) }
            if runsSaturdays && index == 0 { weekdays.insert(6) }
            let kinds = [SampleData.slotKinds[0]] + random.pick(Int.random(in: 0...2, using: &random), of: Array(SampleData.slotKinds.dropFirst()))
            clinics.append(Clinic(scheduleID: id, weekdays: weekdays, sessions: sessions, slotMinutes: slotMinutes, kinds: kinds))
            schedules.append(FHIRSchedule(
                id: id, meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.schedule]),
                extension: [FHIRExtension(url: GPConnect.Extension.practitionerRole, valueCodeableConcept: FHIRCodeableConcept(
                    coding: [FHIRCoding(system: GPConnect.System.jobRoleName, code: role.code, display: role.display)]))],
                serviceCategory: FHIRCodeableConcept(text: "General GP Appointments"),
                actor: [FHIRReference("Location/\(location.id)"), FHIRReference("Practitioner/\(id)")],
                planningHorizon: FHIRPeriod(start: nil, end: nil),
                comment: "\(person.given) \(families[index])'s clinic at \(location.name)"))
        }
        self.practitioners = practitioners
        self.schedules = schedules
        self.clinics = clinics

        // Registered patients, with NHS numbers from the range never issued.
        var patients: [FHIRPatient] = []
        var nhsNumbers = Set<String>()
        for index in 0..<3 {
            let person = random.pick(SampleData.givenNames)
            var number: String
            repeat {
                let nine = "999" + String(format: "%06d", Int.random(in: 0...999_999, using: &random))
                guard let check = NHSNumber.checkDigit(nine.utf8.map { Int($0 - 0x30) }) else { number = ""; continue }
                number = nine + String(check)
            } while number.isEmpty || nhsNumbers.contains(number)
            nhsNumbers.insert(number)
            let family = families[count + index]
            let born = String(format: "%04d-%02d-%02d", Int.random(in: 1935...2015, using: &random), Int.random(in: 1...12, using: &random),
                              Int.random(in: 1...28, using: &random))
            patients.append(FHIRPatient(
                id: "\(index + 1)", meta: FHIRMeta(versionId: version, profile: [GPConnect.Profile.patient]),
                extension: [FHIRExtension(url: GPConnect.Extension.registrationDetails, extension: [
                    FHIRExtension(url: "registrationType", valueCodeableConcept: FHIRCodeableConcept(coding: [
                        FHIRCoding(system: "https://fhir.nhs.uk/STU3/CodeSystem/CareConnect-RegistrationType-1", code: "R", display: "Regular")])),
                ])],
                identifier: [FHIRIdentifier(system: GPConnect.System.nhsNumber, value: number, extension: [
                    FHIRExtension(url: GPConnect.Extension.nhsNumberVerificationStatus, valueCodeableConcept: FHIRCodeableConcept(coding: [
                        FHIRCoding(system: GPConnect.System.nhsNumberVerificationStatus, code: "01", display: "Number present and verified")])),
                ])],
                active: true,
                name: [FHIRHumanName(use: "official", text: "\(family.uppercased()) \(person.given)", family: family, given: [person.given])],
                telecom: [FHIRContactPoint(system: "phone", value: town.telephonePrefix + String(format: "%04d", Int.random(in: 0...999, using: &random)),
                                           use: "home")],
                gender: person.gender, birthDate: born,
                address: [{ var home = address(); home.use = "home"; home.type = "physical"; return home }()],
                generalPractitioner: [FHIRReference("Practitioner/1")],
                managingOrganization: FHIRReference("Organization/1")))
        }
        self.patients = patients
    }

    /// The slots the clinics make on each calendar day (in the practice's time zone) from the
    /// day of `from` for `days` days. About one in five is already taken when the book opens.
    func slots(from: Date, days: Int) -> [Slot] {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let firstDay = calendar.startOfDay(for: from)
        var random = SeededGenerator(seed: seed, name: practice.ods + "/slots/" + FHIRDateTime.day(firstDay, in: timeZone))
        var result: [Slot] = []
        for offset in 0..<days {
            guard let day = calendar.date(byAdding: .day, value: offset, to: firstDay) else { continue }
            let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: day)
            let isoWeekday = (parts.weekday! + 5) % 7 + 1
            let dayText = String(format: "%04d%02d%02d", parts.year!, parts.month!, parts.day!)
            for clinic in clinics where clinic.weekdays.contains(isoWeekday) {
                let sessions = isoWeekday == 6 ? [SampleData.saturdaySession] : clinic.sessions
                for session in sessions {
                    var minute = session.start
                    while minute + clinic.slotMinutes <= session.end {
                        // Wall-clock times in the practice's zone: 08:30 is 08:30 in summer and winter.
                        var wallClock = DateComponents(year: parts.year, month: parts.month, day: parts.day, hour: minute / 60, minute: minute % 60)
                        wallClock.timeZone = timeZone
                        if let start = calendar.date(from: wallClock) {
                            let kind = clinic.kinds[(minute / clinic.slotMinutes) % clinic.kinds.count]
                            result.append(Slot(id: "\(clinic.scheduleID)-\(dayText)\(String(format: "%02d%02d", minute / 60, minute % 60))",
                                               scheduleID: clinic.scheduleID, start: start,
                                               end: start.addingTimeInterval(Double(clinic.slotMinutes) * 60), kind: kind,
                                               free: Int.random(in: 0..<5, using: &random) != 0))
                        }
                        minute += clinic.slotMinutes
                    }
                }
            }
        }
        return result.sorted { ($0.start, $0.id) < ($1.start, $1.id) }
    }

    /// The FHIR Slot for `slot`.
    func resource(_ slot: Slot) -> FHIRSlot {
        FHIRSlot(id: slot.id, meta: FHIRMeta(versionId: "1", profile: [GPConnect.Profile.slot]),
                 extension: [FHIRExtension(url: GPConnect.Extension.deliveryChannel, valueCode: slot.kind.deliveryChannel)],
                 serviceType: [FHIRCodeableConcept(text: slot.kind.serviceType)],
                 schedule: FHIRReference("Schedule/\(slot.scheduleID)"), status: slot.free ? "free" : "busy",
                 start: FHIRDateTime.string(slot.start, in: timeZone), end: FHIRDateTime.string(slot.end, in: timeZone))
    }

    /// The practice's GP Connect CapabilityStatement: what it serves and how.
    public var capabilityStatement: FHIRCapabilityStatement {
        typealias Resource = FHIRCapabilityStatement.Rest.Resource
        func interactions(_ codes: String...) -> [Resource.Interaction] { codes.map { Resource.Interaction(code: $0) } }
        func search(_ name: String, _ documentation: String) -> [Resource.SearchParam] {
            [Resource.SearchParam(name: "identifier", type: "token", documentation: documentation)]
        }
        return FHIRCapabilityStatement(
            version: "1.6.0", name: "GP Connect", status: "active", date: "2026-01-01", publisher: practice.systemName,
            description: "This server implements the GP Connect API version 1.6.0 (Switchboard's GP practice simulator for \(practice.name))",
            kind: "instance", software: .init(name: practice.systemName, version: "1.6.0", releaseDate: "2026-01-01"),
            fhirVersion: "3.0.1", acceptUnknown: "both", format: ["application/fhir+json"],
            profile: [GPConnect.Profile.patient, GPConnect.Profile.organization, GPConnect.Profile.practitioner, GPConnect.Profile.location,
                      GPConnect.Profile.operationOutcome, GPConnect.Profile.appointment, GPConnect.Profile.schedule, GPConnect.Profile.slot]
                .map { FHIRReference($0) },
            rest: [.init(mode: "server", security: .init(cors: true), resource: [
                Resource(type: "Patient", interaction: interactions("read", "search-type"),
                         searchParam: search("identifier", "NHS Number (i.e. https://fhir.nhs.uk/Id/nhs-number|123456789)")),
                Resource(type: "Organization", interaction: interactions("read", "search-type"),
                         searchParam: search("identifier", "ODS Code (i.e. https://fhir.nhs.uk/Id/ods-organization-code|Y12345)")),
                Resource(type: "Practitioner", interaction: interactions("read", "search-type"),
                         searchParam: search("identifier", "SDS User Id (i.e. https://fhir.nhs.uk/Id/sds-user-id|999999)")),
                Resource(type: "Location", interaction: interactions("read")),
                Resource(type: "Appointment", interaction: interactions("read", "create", "update", "search-type"), updateCreate: false),
                Resource(type: "Slot", interaction: interactions("search-type"),
                         searchInclude: ["Schedule:actor:Location", "Schedule:actor:Practitioner", "Slot:schedule", "Location:managingOrganization"],
                         searchParam: ["start", "end", "status", "searchFilter"].map {
                             Resource.SearchParam(name: $0, type: $0 == "start" || $0 == "end" ? "date" : "token")
                         }),
            ])])
    }
}
