import SwitchboardProxy
import SwitchboardTesting
import Testing

/// The SSP-form request target alone: what is accepted, how it is normalised, what is refused.
@Suite struct TargetURLTests {
    @Test func sspFormIsReadAndNormalised() throws {
        let target = try TargetURL(requestTarget: "/https://gp.example:8443/A81001/STU3/1/gpconnect/Slot%2Dx?status=free&x=%2f")
        #expect(target.url == "https://gp.example:8443/A81001/STU3/1/gpconnect/Slot-x?status=free&x=%2f")
        #expect(target.authority == "gp.example:8443")
        #expect(target.path == "/A81001/STU3/1/gpconnect/Slot-x")
        #expect(target.query == "status=free&x=%2f")
    }

    /// Python's `urljoin("https://proxy/https://practice/fhir/", "metadata")` gives
    /// `https://proxy/https:/practice/fhir/metadata`; the collapsed scheme is read as meant.
    @Test func theCollapsedSchemeIsTheSameTargetWhenAccepted() throws {
        let collapsed = "/https:/practice.example/A81001/STU3/1/gpconnect/metadata"
        let target = try TargetURL(requestTarget: collapsed, acceptingCollapsedScheme: true)
        #expect(target.url == "https://practice.example/A81001/STU3/1/gpconnect/metadata")
        #expect(target == (try TargetURL(requestTarget: "/https://practice.example/A81001/STU3/1/gpconnect/metadata")))
        #expect(throws: ProxyRefusal.invalidTargetURL("NOT_SSP_FORM")) { try TargetURL(requestTarget: collapsed) }
        // Every other rule still holds for the collapsed form.
        #expect(throws: ProxyRefusal.invalidTargetURL("USERINFO")) {
            try TargetURL(requestTarget: "/https:/admin@practice.example/A81001", acceptingCollapsedScheme: true)
        }
        #expect(throws: ProxyRefusal.invalidTargetURL("DOT_SEGMENT")) {
            try TargetURL(requestTarget: "/https:/practice.example/A81001/../B", acceptingCollapsedScheme: true)
        }
        #expect(throws: ProxyRefusal.invalidTargetURL("NO_HOST")) { try TargetURL(requestTarget: "/https:/", acceptingCollapsedScheme: true) }
        #expect(throws: ProxyRefusal.invalidTargetURL("NOT_SSP_FORM"), "only https is read through") {
            try TargetURL(requestTarget: "/http:/practice.example/A", acceptingCollapsedScheme: true)
        }
    }

    @Test(arguments: [
        ("/A81001/Slot", "NOT_SSP_FORM"), ("/http://gp.example/A", "NOT_HTTPS"), ("/https://gp.example/A#x", "FRAGMENT"),
        ("/https:///A", "NO_HOST"), ("/https://u@gp.example/A", "USERINFO"), ("/https://gp%2Eexample/A", "ENCODED_HOST"),
        ("/https://gp.example/A/%2F", "ENCODED_SLASH"), ("/https://gp.example/A//B", "EMPTY_SEGMENT"), ("/https://gp.example/A/%2E%2E/B", "DOT_SEGMENT"),
        ("/https://gp.example/A/%zz", "PERCENT_ENCODING"), ("/https://gp.example/A/%C0%AF", "ENCODING"), ("/https://gp.example/A\"", "CHARACTERS"),
    ])
    func refusalsNameTheRule(target: String, rule: String) {
        #expect(throws: ProxyRefusal.invalidTargetURL(rule)) { try TargetURL(requestTarget: target, acceptingCollapsedScheme: true) }
    }
}
