/// MT19937 as GSL's `gsl_rng_mt19937` seeds it (seed 0 means 4357), the generator current R
/// SecAct uses; `maximum` = 2³² − 1.
public struct MersenneTwister: PermutationRandom {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    /// 2³² − 1: outputs use all 32 bits.
    public let maximum: UInt32 = .max

    /// A generator seeded as GSL's `gsl_rng_mt19937` seeds it with `seed` (0 means 4357).
    public init(seed: UInt32) {
        state[0] = seed == 0 ? 4357 : seed
        for i in 1..<624 {
            state[i] = 1_812_433_253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
        index = 624
    }

    /// The next tempered MT19937 output.
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    private mutating func twist() {
        for k in 0..<624 {
            let y = (state[k] & 0x8000_0000) | (state[(k + 1) % 624] & 0x7FFF_FFFF)
            state[k] = state[(k + 397) % 624] ^ (y >> 1) ^ (y & 1 == 0 ? 0 : 0x9908_B0DF)
        }
        index = 0
    }
}
