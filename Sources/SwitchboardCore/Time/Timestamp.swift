public import Foundation

/// How every timestamp a person or another system reads is written: RFC 3339 in UTC with
/// milliseconds and the zone, `2026-11-30T17:58:57.446Z` (also a valid FHIR `instant`).
public enum Timestamp {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!)

    public static func rfc3339(_ date: Date) -> String {
        date.formatted(style)
    }

    /// Reads an RFC 3339 timestamp with its zone (`Z` or `±hh:mm`), with or without fractional
    /// seconds; nil for anything else, a zone-less time included.
    public static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: style) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
