/// SplitMix64: a small, fast generator whose sequence is fixed by its seed, so a practice built
/// from the same seed is the same on every machine and every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    /// A generator for one named thing (a practice's ODS code) under a shared seed.
    init(seed: UInt64, name: String) {
        // FNV-1a over the name, mixed with the seed.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        state = seed ^ hash
    }

    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// One element of `items`, chosen by this generator.
    mutating func pick<T>(_ items: [T]) -> T {
        items[Int.random(in: 0..<items.count, using: &self)]
    }

    /// `count` different elements of `items`, in the order chosen.
    mutating func pick<T>(_ count: Int, of items: [T]) -> [T] {
        Array(items.shuffled(using: &self).prefix(count))
    }

    /// `digits` decimal digits as text, the first not zero.
    mutating func digits(_ digits: Int) -> String {
        var text = String(Int.random(in: 1...9, using: &self))
        for _ in 1..<digits { text += String(Int.random(in: 0...9, using: &self)) }
        return text
    }
}
