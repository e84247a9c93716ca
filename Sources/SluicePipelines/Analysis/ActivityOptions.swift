import SluiceKernels

/// Options of `sluice analyze activity`, with SecActpy's defaults.
public struct ActivityOptions: Sendable {
    /// Ridge penalty: 5e5 for SecAct, 1e4 for CytoSig.
    public var lambda = 5e5
    /// Permutations (0: the analytic t-test).
    public var permutations = 1_000
    public var seed: UInt32 = 0
    /// `srand` (glibc rand, SecActpy's default) or `mt19937` (GSL, current R SecAct).
    public var random: RandomSource = .glibc
    /// The profile is already a difference (logFC): use it as given.
    public var differential = false
    /// Columns whose mean is subtracted instead of the mean of all columns.
    public var controlColumns: [String] = []
    /// Samples per batch (the projection is computed once).
    public var batchSize = 1_000
    /// Merge signatures whose columns correlate at ≥ 0.9 and report each member with its group's
    /// result (SecAct's default; SecActpy turns it off for CytoSig).
    public var groupSignatures = false
    /// Fewest overlapping genes accepted.
    public var minimumGenes = 2

    public enum RandomSource: String, Sendable, CaseIterable { case glibc = "srand", mt19937 }

    public init() {}

    var test: RidgeActivity.Test {
        guard permutations > 0 else { return .tTest }
        switch random {
        case .glibc: return .permutationGlibc(count: permutations, seed: seed)
        case .mt19937: return .permutationMT19937(count: permutations, seed: seed)
        }
    }
}
