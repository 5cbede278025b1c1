import SwitchboardCore
import SwitchboardDirectory
import Testing

/// The directory's own identifiers: party selectors, endpoint addresses and path patterns.
@Suite struct PartySelectorTests {
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
