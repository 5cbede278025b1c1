import Foundation
import SwitchboardCore
import Testing

/// Timestamps are written in one form (RFC 3339, UTC, milliseconds, `Z`) and read in every form
/// RFC 3339 allows, and nothing else.
@Suite struct TimestampTests {
    @Test func writtenInUTCWithMillisecondsAndTheZone() {
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: 1_796_061_537.4464)) == "2026-11-30T17:58:57.446Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -0.0004)) == "1970-01-01T00:00:00.000Z")
        #expect(Timestamp.rfc3339(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test(arguments: [
        ("2026-11-30T17:58:57.446Z", 1_796_061_537.446),
        ("2026-11-30T17:58:57Z", 1_796_061_537),
        ("2026-11-30t17:58:57z", 1_796_061_537),
        ("2026-11-30T18:58:57+01:00", 1_796_061_537),
        ("2026-11-30T17:58:57.5-00:00", 1_796_061_537.5),
        // Offsets Foundation's reader refuses (beyond ±18:00) are still RFC 3339.
        ("2026-12-01T12:26:57+18:28", 1_796_061_537),
        ("2026-11-29T18:00:57-23:58", 1_796_061_537),
        ("2026-11-30T17:58:57.123456789Z", 1_796_061_537.123456789),
        // A leap second reads as the second after :59.
        ("2016-12-31T23:59:60Z", 1_483_228_800),
    ] as [(String, Double)])
    func readsEveryRFC3339Form(_ text: String, _ seconds: Double) throws {
        let date = try #require(Timestamp.parse(text), "\(text)")
        #expect(abs(date.timeIntervalSince1970 - seconds) < 0.000_01, "\(text) read as \(date.timeIntervalSince1970)")
    }

    @Test(arguments: ["2026-11-30T17:58:57", "2026-11-30 17:58:57Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z",
                      "2026-11-30T17:60:00Z", "2026-11-30T17:58:61Z", "2026-11-30T17:58:57+24:00", "2026-11-30T17:58:57+01:60", "2026-11-30T17:58:57.Z",
                      "2026-11-30", "", "yesterday", "2026-11-30T17:58:57+0100"])
    func refusesAnythingElse(_ text: String) {
        #expect(Timestamp.parse(text) == nil, "\(text)")
    }
}
