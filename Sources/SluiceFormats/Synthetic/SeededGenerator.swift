/// A small, fast, seeded random number generator (SplitMix64), so generated data is reproducible.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose sequence is fixed by `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// `items` shuffled by Fisher–Yates — for i from n − 1 down to 1, swap i with
    /// `next() % (i + 1)` — the order Sluice's seeded folds document, so that a reference
    /// written in another language rebuilds them (the standard library's shuffle draws otherwise).
    public mutating func shuffled<T>(_ items: [T]) -> [T] {
        var result = items
        if result.count > 1 {
            for i in stride(from: result.count - 1, to: 0, by: -1) { result.swapAt(i, Int(next() % UInt64(i + 1))) }
        }
        return result
    }
}
