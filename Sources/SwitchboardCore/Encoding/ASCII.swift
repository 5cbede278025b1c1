/// ASCII case folding for protocol text (header names, DNS names), without Foundation or copies.
public enum ASCII {
    /// `byte` with an upper-case ASCII letter made lower-case.
    @inlinable
    public static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// Whether the bytes `a` and `b` are the same once ASCII letters are lower-cased.
    @inlinable
    public static func equalIgnoringCase(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { lowered($0) == lowered($1) }
    }

    /// Whether `a` and `b` are the same once ASCII letters are lower-cased.
    public static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        equalIgnoringCase(a.utf8, b.utf8)
    }
}
