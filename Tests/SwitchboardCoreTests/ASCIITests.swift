import SwitchboardCore
import Testing

/// ASCII case folding: only the 26 letters fold; other bytes, UTF-8 included, compare as they are.
@Suite struct ASCIITests {
    @Test(arguments: [
        ("gpconnect.emis.thirdparty.nhs.uk", "GPConnect.EMIS.ThirdParty.NHS.uk", true),
        ("a81001.example.nhs.uk", "a81001.example.nhs.uk", true),
        ("a81001.example.nhs.uk", "a81002.example.nhs.uk", false),
        ("a81001.example.nhs.uk", "a81001.example.nhs.uk.", false),
        ("[", "{", false),
        ("é", "É", false),
        ("", "", true),
    ])
    func equalIgnoringCase(_ a: String, _ b: String, _ equal: Bool) {
        #expect(ASCII.equalIgnoringCase(a, b) == equal)
    }

    @Test func onlyLettersAreLowered() {
        let lowered = (0...255).map { ASCII.lowered(UInt8($0)) }
        for byte in 0...255 {
            let expected = (0x41...0x5A).contains(byte) ? UInt8(byte + 0x20) : UInt8(byte)
            #expect(lowered[byte] == expected)
        }
    }
}
