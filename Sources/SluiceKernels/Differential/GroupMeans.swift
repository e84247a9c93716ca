import Foundation

/// Group means, variances and log fold changes as scanpy's `rank_genes_groups` derives them.
public enum GroupMeans {
    /// scanpy's `_get_mean_var` on a group's rows: mean = Σx/n, variance = (Σx²/n − mean²)·n/(n − 1)
    /// (the unbiased estimator; no correction for a single row).
    public static func meanAndVariance(sum: Double, sumOfSquares: Double, count: Int) -> (mean: Double, variance: Double) {
        let n = Double(count)
        let mean = sum / n
        var variance = sumOfSquares / n - mean * mean
        if count != 1 { variance *= n / (n - 1) }
        return (mean, variance)
    }

    /// log₂((expm1(group mean) + 10⁻⁹) / (expm1(rest mean) + 10⁻⁹)): scanpy's `logfoldchanges`,
    /// which assumes natural-log `log1p` data.
    public static func log2FoldChange(groupMean: Double, restMean: Double) -> Double {
        log2((expm1(groupMean) + 1e-9) / (expm1(restMean) + 1e-9))
    }
}
