public import SwitchboardCore
public import SwitchboardDirectory

/// A small valid directory built in code: one 111 consumer, two GP practices, a catalogue of
/// three interactions and one sharing agreement. Tests change one thing and check the rule.
public enum SampleDirectory {
    public static let slotSearch = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1")
    public static let book = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:create:appointment-1")
    public static let metadata = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:read:metadata-1")
    /// In the catalogue and served by the practice, but the consumer may not send it.
    public static let readAppointment = InteractionID(trusted: "urn:nhs:names:services:gpconnect:fhir:rest:read:appointment-1")

    public static let consumerASID = ASID(trusted: "200000000359")
    public static let consumerODS = ODSCode(trusted: "RYE")
    public static let consumerFQDN = "adastra-111.secamb.thirdparty.nhs.uk"
    public static let practiceASID = ASID(trusted: "918999198001")
    public static let practiceODS = ODSCode(trusted: "A81001")
    public static let practicePartyKey = PartyKey(trusted: "A81001-0000801")
    public static let practiceAddress = "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect"
    public static let otherPracticeASID = ASID(trusted: "918999198004")
    public static let otherPracticeODS = ODSCode(trusted: "M85011")

    public static var tables: DirectoryTables { tables(practiceAddress: practiceAddress) }

    /// The sample with the first practice's endpoint at `practiceAddress` (a test provider).
    public static func tables(practiceAddress: String) -> DirectoryTables {
        var tables = DirectoryTables()
        tables.put(.interaction(Interaction(id: readAppointment, name: "Read an appointment", method: .GET, path: try! PathPattern(validating: "/Appointment/{id}"), scope: "patient/*.read")))
        tables.put(.interaction(Interaction(id: metadata, name: "Read metadata", method: .GET, path: try! PathPattern(validating: "/metadata"), scope: "organization/*.read")))
        tables.put(.interaction(Interaction(id: slotSearch, name: "Search for free slots", method: .GET, path: try! PathPattern(validating: "/Slot"), scope: "organization/*.read")))
        tables.put(.interaction(Interaction(id: book, name: "Book an appointment", method: .POST, path: try! PathPattern(validating: "/Appointment"), scope: "patient/*.write")))
        tables.put(.organisation(Organisation(ods: consumerODS, name: "South East Coast Ambulance Service", kind: .urgentCare)))
        tables.put(.organisation(Organisation(ods: practiceODS, name: "The Densham Surgery", kind: .gpPractice)))
        tables.put(.organisation(Organisation(ods: otherPracticeODS, name: "Hollybush Surgery", kind: .gpPractice)))
        tables.put(.system(AccreditedSystem(asid: consumerASID, ods: consumerODS, partyKey: PartyKey(trusted: "RYE-0000901"), name: "Adastra",
                                            certificateFQDN: consumerFQDN, sends: [metadata, slotSearch, book])))
        tables.put(.system(AccreditedSystem(asid: practiceASID, ods: practiceODS, partyKey: practicePartyKey, name: "EMIS Web",
                                            receives: [metadata, slotSearch, book, readAppointment])))
        tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S20001A100001"), partyKey: practicePartyKey, ods: practiceODS,
                                      address: try! EndpointAddress(validating: practiceAddress), interactions: [metadata, slotSearch, book, readAppointment])))
        tables.put(.system(AccreditedSystem(asid: otherPracticeASID, ods: otherPracticeODS, partyKey: PartyKey(trusted: "M85011-0000804"), name: "SystmOne",
                                            receives: [slotSearch])))
        tables.put(.endpoint(Endpoint(cpaID: CPAID(trusted: "S20001A100004"), partyKey: PartyKey(trusted: "M85011-0000804"), ods: otherPracticeODS,
                                      address: try! EndpointAddress(validating: "https://systmone-gpconnect.tpp.thirdparty.nhs.uk/M85011/STU3/1/gpconnect"),
                                      interactions: [slotSearch])))
        tables.put(.agreement(SharingAgreement(id: AgreementID(trusted: "secamb-111-to-a81001"), description: "test", consumer: .ods(consumerODS),
                                               provider: .asid(practiceASID), interactions: .any)))
        return tables
    }
}
