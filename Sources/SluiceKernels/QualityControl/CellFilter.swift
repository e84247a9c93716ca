/// Which cells to keep, by quality thresholds (each optional; a cell with no counts is never kept,
/// since it cannot be normalized).
public struct CellFilter: Sendable, Hashable, Codable {
    public var minGenes: Int?
    public var minCounts: Double?
    public var maxPercentMitochondrial: Double?

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
