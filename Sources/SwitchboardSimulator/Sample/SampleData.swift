/// The sample data every simulated practice is made from: names, towns, clinics and patients.
/// Places use Ofcom's numbers reserved for drama, so no real telephone is ever shown; patients
/// use NHS numbers from the 999 range, which is never issued to a real person.
enum SampleData {
    struct Town {
        var name: String
        var district: String
        var postcodeArea: String
        /// An Ofcom drama number prefix; four digits follow.
        var telephonePrefix: String
    }

    static let towns: [Town] = [
        Town(name: "Leeds", district: "West Yorkshire", postcodeArea: "LS", telephonePrefix: "0113 496 "),
        Town(name: "Sheffield", district: "South Yorkshire", postcodeArea: "S", telephonePrefix: "0114 496 "),
        Town(name: "Nottingham", district: "Nottinghamshire", postcodeArea: "NG", telephonePrefix: "0115 496 "),
        Town(name: "Leicester", district: "Leicestershire", postcodeArea: "LE", telephonePrefix: "0116 496 "),
        Town(name: "Bristol", district: "City of Bristol", postcodeArea: "BS", telephonePrefix: "0117 496 "),
        Town(name: "Reading", district: "Berkshire", postcodeArea: "RG", telephonePrefix: "0118 496 "),
        Town(name: "Birmingham", district: "West Midlands", postcodeArea: "B", telephonePrefix: "0121 496 "),
        Town(name: "Liverpool", district: "Merseyside", postcodeArea: "L", telephonePrefix: "0151 496 "),
        Town(name: "Manchester", district: "Greater Manchester", postcodeArea: "M", telephonePrefix: "0161 496 "),
        Town(name: "Newcastle upon Tyne", district: "Tyne and Wear", postcodeArea: "NE", telephonePrefix: "0191 498 "),
    ]

    static let streets = [
        "Church Lane", "Station Road", "Victoria Street", "Park Avenue", "Mill Lane", "Queen Street", "Market Place", "Chapel Road",
        "Highfield Road", "Albert Terrace", "Castle Street", "Meadow Way", "Riverside Walk", "Orchard Close", "Moor Lane", "Kings Road",
    ]

    /// Names for a branch surgery, after the district it serves.
    static let branchNames = ["North", "East", "West", "South", "Village", "Park", "Hill"]

    struct Person {
        var given: String
        var gender: String
    }

    static let givenNames: [Person] = [
        Person(given: "Amira", gender: "female"), Person(given: "Bethan", gender: "female"), Person(given: "Chloe", gender: "female"),
        Person(given: "Deborah", gender: "female"), Person(given: "Eleanor", gender: "female"), Person(given: "Fiona", gender: "female"),
        Person(given: "Grace", gender: "female"), Person(given: "Harriet", gender: "female"), Person(given: "Imogen", gender: "female"),
        Person(given: "Joanne", gender: "female"), Person(given: "Katherine", gender: "female"), Person(given: "Lucy", gender: "female"),
        Person(given: "Priya", gender: "female"), Person(given: "Sarah", gender: "female"), Person(given: "Aidan", gender: "male"),
        Person(given: "Benjamin", gender: "male"), Person(given: "Callum", gender: "male"), Person(given: "Daniel", gender: "male"),
        Person(given: "Edward", gender: "male"), Person(given: "Farhan", gender: "male"), Person(given: "George", gender: "male"),
        Person(given: "Hamish", gender: "male"), Person(given: "Isaac", gender: "male"), Person(given: "James", gender: "male"),
        Person(given: "Kwame", gender: "male"), Person(given: "Liam", gender: "male"), Person(given: "Owen", gender: "male"),
        Person(given: "Rajesh", gender: "male"),
    ]

    static let familyNames = [
        "Ahmed", "Bennett", "Clarke", "Davies", "Edwards", "Fletcher", "Green", "Hughes", "Iqbal", "Jones", "Khan", "Lewis", "Morgan",
        "Nwosu", "O'Brien", "Patel", "Quinn", "Roberts", "Singh", "Thompson", "Walker", "Wright", "Young", "Zhang",
    ]

    /// SDS job roles a GP appointment schedule is held under.
    struct JobRole {
        var code: String
        var display: String
    }

    static let jobRoles = [
        JobRole(code: "R0260", display: "General Medical Practitioner"),
        JobRole(code: "R0270", display: "Salaried General Practitioner"),
    ]

    /// What a slot offers: its service type, and how it is delivered (GPConnect-DeliveryChannel-2).
    struct SlotKind {
        var serviceType: String
        var deliveryChannel: String
    }

    static let slotKinds = [
        SlotKind(serviceType: "General GP Appointment", deliveryChannel: "In-person"),
        SlotKind(serviceType: "Urgent Appointment", deliveryChannel: "In-person"),
        SlotKind(serviceType: "Telephone Consultation", deliveryChannel: "Telephone"),
        SlotKind(serviceType: "Video Consultation", deliveryChannel: "Video"),
    ]

    /// Clinic sessions, as minutes after midnight, local time.
    struct Session {
        var start: Int
        var end: Int
    }

    static let morningSessions = [Session(start: 8 * 60, end: 11 * 60 + 30), Session(start: 8 * 60 + 30, end: 12 * 60),
                                  Session(start: 9 * 60, end: 12 * 60 + 30)]
    static let afternoonSessions = [Session(start: 14 * 60, end: 17 * 60), Session(start: 14 * 60 + 30, end: 17 * 60 + 30),
                                    Session(start: 15 * 60, end: 18 * 60)]
    /// Improved-access Saturday mornings, which some practices run.
    static let saturdaySession = Session(start: 9 * 60, end: 12 * 60)

    /// Slot lengths a practice books in, in minutes.
    static let slotLengths = [10, 15, 20]
}
