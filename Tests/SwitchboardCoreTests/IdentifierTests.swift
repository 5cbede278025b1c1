import Foundation
import SwitchboardCore
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
