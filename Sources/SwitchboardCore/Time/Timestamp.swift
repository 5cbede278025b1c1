public import Foundation

/// How every timestamp a person or another system reads is written: RFC 3339 in UTC with
/// milliseconds and the zone, `2026-11-30T17:58:57.446Z` (also a valid FHIR `instant`).
public enum Timestamp {
    /// The time, rounded to the nearest millisecond.
    public static func rfc3339(_ date: Date) -> String {
        let milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
        var seconds = time_t(milliseconds.quotientAndRemainder(dividingBy: 1000).quotient)
        var fraction = Int(milliseconds % 1000)
        if fraction < 0 {
            seconds -= 1
            fraction += 1000
        }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), fraction)
    }

    /// Reads an RFC 3339 `date-time` (section 5.6): `2026-11-30T17:58:57.446Z`, `…T18:58:57+01:00`,
    /// any offset the grammar allows (Foundation's reader stops at ±18:00), a leap second's `:60`;
    /// nil for anything else — a zone-less time, or a day that does not exist (`2026-02-30`).
    public static func parse(_ text: String) -> Date? {
        guard let match = text.wholeMatch(of: /(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))/)
        else { return nil }
        func number(_ digits: Substring) -> Int { Int(digits) ?? -1 }
        let second = number(match.6)
        let components = DateComponents(year: number(match.1), month: number(match.2), day: number(match.3),
                                        hour: number(match.4), minute: number(match.5), second: 0)
        guard (0...23).contains(components.hour ?? -1), (0...59).contains(components.minute ?? -1), (0...60).contains(second),
              components.isValidDate(in: utc), let start = utc.date(from: components) else { return nil }
        var offset = 0
        if let sign = match.8, let hours = match.9, let minutes = match.10 {
            guard (0...23).contains(number(hours)), (0...59).contains(number(minutes)) else { return nil }
            offset = (sign == "-" ? -1 : 1) * (number(hours) * 3600 + number(minutes) * 60)
        }
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        return start.addingTimeInterval(TimeInterval(second - offset) + fraction)
    }

    /// The proleptic Gregorian calendar in UTC, which RFC 3339 dates are in.
    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? .current
        return calendar
    }()
}
