public import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562): 48 bits of Unix milliseconds, 12 bits of sub-millisecond
    /// time (the RFC's method 3), then 62 random bits. Exchange ids are made this way so that they
    /// sort by time and the audit store appends to its indexes instead of writing all over them.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let microseconds = UInt64(max(0, date.timeIntervalSince1970 * 1_000_000))
        let milliseconds = microseconds / 1000
        let fraction = (microseconds % 1000) * 4096 / 1000
        var generator = SystemRandomNumberGenerator()
        let random = generator.next() as UInt64
        func byte(_ value: UInt64, _ shift: UInt64) -> UInt8 { UInt8(truncatingIfNeeded: value >> shift) }
        return UUID(uuid: (
            byte(milliseconds, 40), byte(milliseconds, 32), byte(milliseconds, 24), byte(milliseconds, 16), byte(milliseconds, 8), byte(milliseconds, 0),
            0x70 | byte(fraction, 8) & 0x0F, byte(fraction, 0),
            0x80 | byte(random, 56) & 0x3F, byte(random, 48), byte(random, 40), byte(random, 32),
            byte(random, 24), byte(random, 16), byte(random, 8), byte(random, 0)
        ))
    }
}
