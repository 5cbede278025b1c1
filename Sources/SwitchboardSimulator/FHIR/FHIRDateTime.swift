public import Foundation

/// FHIR `date`, `dateTime` and `instant` text: wall-clock times in a practice's time zone with
/// the offset in force at that moment (`+00:00` in winter, `+01:00` in British Summer Time).
public enum FHIRDateTime {
    /// `2026-12-01T08:30:00+00:00`: `date` as the clock on the wall in `timeZone` shows it.
    public static func string(_ date: Date, in timeZone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let offset = timeZone.secondsFromGMT(for: date)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d%@%02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!,
                      parts.second!, sign, hours, minutes)
    }

    /// `2026-12-01`, the calendar day in `timeZone`.
    public static func day(_ date: Date, in timeZone: TimeZone) -> String {
        String(string(date, in: timeZone).prefix(10))
    }

    /// A FHIR `instant` in UTC: `2026-12-01T08:30:00Z`.
    public static func instant(_ date: Date) -> String {
        string(date, in: TimeZone(identifier: "UTC")!).dropLast(6) + "Z"
    }

    /// Reads a FHIR `date` (`2026-11-27`, the start of that day in `timeZone`) or a `dateTime`
    /// with its offset; nil for anything else.
    public static func parse(_ text: String, in timeZone: TimeZone) -> Date? {
        if text.count == 10 {
            let parts = text.split(separator: "-")
            guard parts.count == 3, let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]) else { return nil }
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = timeZone
            let components = DateComponents(year: year, month: month, day: day)
            guard components.isValidDate(in: calendar) else { return nil }
            return calendar.date(from: components)
        }
        return try? Date(text, strategy: .iso8601)
    }
}
