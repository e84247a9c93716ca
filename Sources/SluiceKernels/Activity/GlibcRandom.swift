/// glibc's `srand(seed)` / `rand()` (the additive-feedback `TYPE_3` generator, `RAND_MAX` =
/// 2³¹ − 1), reimplemented so permutations equal R SecAct's and SecActpy's default
/// (`rng_method="srand"`) on every platform, without calling the C library's global state.
public struct GlibcRandom: PermutationRandom {
    private var table = [UInt32](repeating: 0, count: 34)
    private var index = 0

    /// glibc's `RAND_MAX`, 2³¹ − 1.
    public let maximum: UInt32 = 2_147_483_647

    /// A generator in the state `srand(seed)` leaves it (seed 0 seeds like 1, as in glibc).
    public init(seed: UInt32) {
        // srand(0) seeds like srand(1); glibc keeps the seed in an int32_t, so large seeds are negative.
        var word = Int64(Int32(truncatingIfNeeded: seed == 0 ? 1 : seed))
        var state = [Int32](repeating: 0, count: 31)
        state[0] = Int32(truncatingIfNeeded: word)
        for i in 1..<31 {
            // 16807 · state mod (2³¹ − 1), by Schrage's method, as glibc does.
            let hi = word / 127_773
            let lo = word % 127_773
            word = Int64(Int32(truncatingIfNeeded: 16_807 * lo - 2_836 * hi))
            if word < 0 { word += 2_147_483_647 }
            state[i] = Int32(truncatingIfNeeded: word)
        }
        var history = state.map { UInt32(bitPattern: $0) }
        for i in 31..<34 { history.append(history[i - 31]) }
        // glibc discards the first 310 outputs.
        for i in 34..<344 { history.append(history[i - 31] &+ history[i - 3]) }
        table = Array(history.suffix(34))
        index = 0
    }

    /// The next value of `rand()`.
    public mutating func next() -> UInt32 {
        // table holds the last 34 words r[k-34]…r[k-1] in a ring starting at `index`.
        let value = table[(index + 34 - 31) % 34] &+ table[(index + 34 - 3) % 34]
        table[index] = value
        index = (index + 1) % 34
        return value >> 1
    }
}
