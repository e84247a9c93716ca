/// The test `sluice analyze differential` runs, named as scanpy's `rank_genes_groups(method=…)`.
public enum DifferentialMethod: String, Sendable, CaseIterable {
    /// Wilcoxon rank-sum test with the normal approximation.
    case wilcoxon
    /// Welch's t-test with each side's own cell count.
    case tTest = "t-test"
    /// Welch's t-test with the group's cell count on both sides (scanpy's variance over-estimate
    /// for small groups).
    case tTestOverestimatedVariance = "t-test_overestim_var"
}
