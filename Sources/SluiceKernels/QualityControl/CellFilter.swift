/// Which cells to keep, by quality thresholds (each optional; a cell with no counts is never kept,
/// since it cannot be normalized).
public struct CellFilter: Sendable, Hashable, Codable {
    /// Fewest genes with a non-zero count a kept cell may have (`n_genes`); nil for no limit.
    public var minGenes: Int?
    /// Smallest total count a kept cell may have (`n_counts`); nil for no limit.
    public var minCounts: Double?
    /// Largest percent (0–100) of its counts a kept cell may have on mitochondrial genes (`pct_mito`);
    /// nil for no limit.
    public var maxPercentMitochondrial: Double?

    /// A filter with the given thresholds (nil: no limit).
    public init(minGenes: Int? = nil, minCounts: Double? = nil, maxPercentMitochondrial: Double? = nil) {
        self.minGenes = minGenes
        self.minCounts = minCounts
        self.maxPercentMitochondrial = maxPercentMitochondrial
    }

    /// Whether cell `i` of `metrics` passes: `n_genes ≥ minGenes`, `n_counts ≥ minCounts`,
    /// `pct_mito ≤ maxPercentMitochondrial` (the comparisons scanpy's filters use).
    public func keeps(_ metrics: CellQualityMetrics, _ i: Int) -> Bool {
        guard metrics.totalCounts[i] > 0 else { return false }
        if let minGenes, Int(metrics.genesDetected[i]) < minGenes { return false }
        if let minCounts, metrics.totalCounts[i] < minCounts { return false }
        if let maxPercentMitochondrial, metrics.percentMitochondrial[i] > maxPercentMitochondrial { return false }
        return true
    }
}
