public import Foundation

extension Date {
    /// Microseconds since 1970-01-01T00:00:00Z, rounded: how stores keep times as integers.
    public var unixMicroseconds: Int64 { Int64((timeIntervalSince1970 * 1_000_000).rounded()) }

    /// The time `unixMicroseconds` after 1970-01-01T00:00:00Z.
    public init(unixMicroseconds: Int64) {
        self.init(timeIntervalSince1970: Double(unixMicroseconds) / 1_000_000)
    }
}
