import Foundation
import SwitchboardCore
import SwitchboardDirectory
import Testing

@Suite struct IdentifierTests {
    @Test(arguments: ["200000000359", "918999198993"])
    func acceptsTwelveDigitASIDs(_ text: String) throws {
        #expect(try ASID(validating: text).rawValue == text)
    }

    @Test(arguments: [
        ("", "is empty"), ("12345", "must be 12 digits (has 5)"), ("2000000003590", "must be 12 digits (has 13)"),
        ("20000000035A", "must contain digits only"), (String(repeating: "9", count: 100), "must be 12 digits (has 100)"),
        (" 200000000359", "must contain digits only"), ("２00000000359", "must contain digits only"),
    ])
    func refusesMalformedASIDs(_ text: String, _ reason: String) {
        #expect(throws: IdentifierError(kind: "ASID", text: text, reason: reason)) { try ASID(validating: text) }
    }

    @Test func odsCodes() throws {
        #expect(try ODSCode(validating: "A81001").rawValue == "A81001")
        #expect(try ODSCode(validating: "RYE").rawValue == "RYE")
        #expect(ODSCode("a81001") == nil)
        #expect(ODSCode("AB") == nil)
        #expect(ODSCode("A81001-X") == nil)
    }

    @Test func partyKeys() {
        #expect(PartyKey("B82617-0000806") != nil)
        #expect(PartyKey("T99999-9999999") != nil)
        #expect(PartyKey("B82617") == nil)
        #expect(PartyKey("B82617-") == nil)
        #expect(PartyKey("b82617-0000806") == nil)
        #expect(PartyKey("B82617-00A0806") == nil)
    }

    @Test func interactionIDs() {
        #expect(InteractionID("urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1") != nil)
        #expect(InteractionID("urn:nhs:names:services:psis:REPC_IN150016UK05") != nil)
        #expect(InteractionID("urn:nhs:names:services:") == nil)
        #expect(InteractionID("urn:other:thing") == nil)
        #expect(InteractionID("urn:nhs:names:services:gpconnect:fhir:rest:search:slot-1\r\nX: y") == nil)
        #expect(InteractionID("urn:nhs:names:services:" + String(repeating: "a", count: 200)) == nil)
    }

    @Test func partySelectors() throws {
        #expect(try PartySelector(parsing: "any") == .any)
        #expect(try PartySelector(parsing: "asid:200000000359") == .asid(ASID(trusted: "200000000359")))
        #expect(try PartySelector(parsing: "ods:RYE") == .ods(ODSCode(trusted: "RYE")))
        #expect(throws: IdentifierError.self) { try PartySelector(parsing: "asid:12") }
        #expect(throws: IdentifierError.self) { try PartySelector(parsing: "everyone") }
    }
}

@Suite struct EndpointAddressTests {
    @Test func acceptsGPConnectServiceRoots() throws {
        let address = try EndpointAddress(validating: "https://gpconnect.emis.thirdparty.nhs.uk/A81001/STU3/1/gpconnect")
        #expect(address.host == "gpconnect.emis.thirdparty.nhs.uk")
        #expect(address.port == nil)
        #expect(address.path == "/A81001/STU3/1/gpconnect")
        #expect(!address.isIPLiteral)
        let withPort = try EndpointAddress(validating: "https://localhost:19443/A81001/STU3/1/gpconnect")
        #expect(withPort.port == 19443)
        #expect(withPort.isLoopback)
    }

    @Test(arguments: [
        ("http://gp.example/A/STU3/1/gpconnect", EndpointAddress.Problem.notHTTPS),
        ("ftp://gp.example/A", .notHTTPS),
        ("gp.example/A81001", .malformed("must be an absolute URL")),
        ("https://gp.example/A81001/STU3/1/gpconnect/", .malformed("must not end with '/'")),
        ("https://gp.example/A81001?x=1", .malformed("must not have a query or fragment")),
        ("https://user@gp.example/A81001", .malformed("must not carry user information")),
        ("https://GP.example/A81001", .malformed("host 'GP.example' must be a lower-case DNS name or an IPv4 address")),
        ("https://gp.example:0/A", .malformed("has an invalid port")),
        ("https://gp.example:99999/A", .malformed("has an invalid port")),
        ("https://gp.example/A//B", .malformed("has an empty path segment")),
        ("https://gp.example/A/../B", .malformed("has a '.' or '..' path segment")),
        ("https://gp.example/A%2fB", .malformed("path segment 'A%2fB' may contain only letters, digits and '-._~'")),
        ("https:///A", .malformed("has no host")),
    ])
    func refusesMalformedAddresses(_ text: String, _ problem: EndpointAddress.Problem) {
        #expect(throws: problem) { try EndpointAddress(validating: text) }
    }

    @Test func policyRefusesIPLiteralsLoopbackAndLinkLocal() throws {
        let strict = EndpointAddressPolicy()
        #expect(strict.problem(with: try EndpointAddress(validating: "https://10.0.0.7/A81001")) == "names an IP literal, not a host name")
        #expect(strict.problem(with: try EndpointAddress(validating: "https://[2001:db8::1]/A81001")) == "names an IP literal, not a host name")
        #expect(strict.problem(with: try EndpointAddress(validating: "https://localhost/A81001"))?.contains("loopback") == true)
        #expect(strict.problem(with: try EndpointAddress(validating: "https://127.0.0.1:8443/A81001"))?.contains("loopback") == true)
        #expect(strict.problem(with: try EndpointAddress(validating: "https://169.254.169.254/latest")) == "names a link-local host")
        #expect(strict.problem(with: try EndpointAddress(validating: "https://gp.example/A81001")) == nil)
        let development = EndpointAddressPolicy(allowLoopback: true)
        #expect(development.problem(with: try EndpointAddress(validating: "https://127.0.0.1:8443/A81001")) == nil)
        #expect(development.problem(with: try EndpointAddress(validating: "https://169.254.169.254/latest")) == "names a link-local host")
        let allowList = EndpointAddressPolicy(allowedHostSuffixes: ["thirdparty.nhs.uk"])
        #expect(allowList.problem(with: try EndpointAddress(validating: "https://gp.thirdparty.nhs.uk/A")) == nil)
        #expect(allowList.problem(with: try EndpointAddress(validating: "https://evilthirdparty.nhs.uk/A")) != nil)
    }

    @Test func pathPatterns() throws {
        let appointment = try PathPattern(validating: "/Appointment/{id}")
        #expect(appointment.matches("/Appointment/1234"))
        #expect(appointment.matches("/Appointment/a-b.c"))
        #expect(!appointment.matches("/Appointment"))
        #expect(!appointment.matches("/Appointment/"))
        #expect(!appointment.matches("/Appointment/12/34"))
        #expect(!appointment.matches("/Appointment/%2e%2e"))
        #expect(!appointment.matches("/Appointment/" + String(repeating: "1", count: 65)))
        let patientAppointments = try PathPattern(validating: "/Patient/{id}/Appointment")
        #expect(patientAppointments.matches("/Patient/9/Appointment"))
        #expect(!patientAppointments.matches("/Patient/9"))
        let register = try PathPattern(validating: "/Patient/$gpc.registerpatient")
        #expect(register.matches("/Patient/$gpc.registerpatient"))
        #expect(!register.matches("/Patient/1"))
        #expect(try PathPattern(validating: "/Slot").matches("/Slot"))
        #expect(!(try PathPattern(validating: "/Slot").matches("/Slots")))
        #expect(throws: PathPatternError.self) { try PathPattern(validating: "Slot") }
        #expect(throws: PathPatternError.self) { try PathPattern(validating: "/Slot/") }
        #expect(throws: PathPatternError.self) { try PathPattern(validating: "/{name}") }
    }
}

@Suite struct TimeOrderedUUIDTests {
    @Test func isVersion7AndSortsByTime() {
        let earlier = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_790_000_000.000_100))
        let later = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_790_000_000.000_900))
        let much = UUID.timeOrdered(at: Date(timeIntervalSince1970: 1_790_000_001))
        for id in [earlier, later, much] {
            let text = id.uuidString.lowercased()
            #expect(Array(text)[14] == "7", "version 7: \(text)")
            #expect("89ab".contains(Array(text)[19]), "RFC variant: \(text)")
        }
        #expect(earlier.uuidString.lowercased().hasPrefix("01a0"), "48-bit milliseconds first: \(earlier)")
        #expect(earlier.uuidString < later.uuidString)
        #expect(later.uuidString < much.uuidString)
        #expect(Set((0..<1000).map { _ in UUID.timeOrdered() }).count == 1000)
    }
}
