import Foundation

/// Bootstrap multiplicities that need no stored sample: Poisson(1) draws hashed from
/// (seed, replicate, cell).
///
/// The classic bootstrap draws n cells with replacement from a group of n, which needs the group's
/// cells at hand. The Poisson bootstrap (Hanley & MacGibbon 2006; Chamandy et al. 2012, "Estimating
/// uncertainty for massive data streams") instead gives each cell an independent Poisson(1)
/// multiplicity per replicate — the limit of the multinomial counts as n grows — so a replicate's
/// group sums can be accumulated as cells stream past, and group sizes vary a little from replicate
/// to replicate (mean n, variance n).
///
/// The multiplicity of cell `c` (its 0-based position in the file) in replicate `r` is a pure
/// function, so it is the same whatever the chunk size, thread count or order of reading:
///
///     h = splitmix64(splitmix64(splitmix64(seed) ^ r) ^ c)      (wrapping 64-bit arithmetic)
///     u = (h >> 11) · 2⁻⁵³                                       (uniform in [0, 1))
///     k = the smallest k with u < F(k)                           (F: the Poisson(1) CDF, k ≤ 20)
///
/// where `splitmix64` is the output function of Vigna's SplitMix64 (Steele, Lea & Flood 2014) and
/// F(k) is summed term by term from e⁻¹ in Double. `scripts/reference/make_pseudobulk_reference.py`
/// re-implements this in Python.
public struct PoissonBootstrap: Sendable, Hashable {
    /// The user's seed.
    public let seed: UInt64
    /// Number of replicates.
    public let replicates: Int

    /// The largest multiplicity drawn (P(Poisson(1) > 20) ≈ 4e-20).
    public static let maximumMultiplicity = 20

    /// F(k) = P(Poisson(1) ≤ k), k = 0…20.
    private static let distribution: [Double] = {
        var term = exp(-1.0)
        var total = term
        var cdf = [total]
        for k in 1...maximumMultiplicity {
            term /= Double(k)
            total += term
            cdf.append(total)
        }
        return cdf
    }()

    /// Multiplicities for `replicates` replicates (at least one) drawn from `seed`.
    public init(seed: UInt64, replicates: Int) {
        precondition(replicates > 0, "at least one replicate")
        self.seed = seed
        self.replicates = replicates
    }

    /// The SplitMix64 output function.
    @inline(__always)
    public static func splitmix64(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// How many times cell `cell` is drawn in replicate `replicate`.
    public func multiplicity(replicate: Int, cell: Int) -> Int {
        Self.multiplicity(Self.splitmix64(Self.splitmix64(Self.splitmix64(seed) ^ UInt64(replicate)) ^ UInt64(cell)))
    }

    /// Every replicate's multiplicity of `cell`, written into `weights` (one slot per replicate).
    public func weights(cell: Int, into weights: UnsafeMutableBufferPointer<Double>) {
        precondition(weights.count >= replicates, "one slot per replicate")
        let seedHash = Self.splitmix64(seed)
        for r in 0..<replicates {
            weights[r] = Double(Self.multiplicity(Self.splitmix64(Self.splitmix64(seedHash ^ UInt64(r)) ^ UInt64(cell))))
        }
    }

    /// The Poisson(1) quantile of the uniform number made from hash `h`.
    @inline(__always)
    private static func multiplicity(_ h: UInt64) -> Int {
        let u = Double(h >> 11) * 0x1p-53
        let cdf = distribution
        var k = 0
        while k < maximumMultiplicity, u >= cdf[k] { k += 1 }
        return k
    }
}
