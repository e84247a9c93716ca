/// One group's test results for every gene, as scanpy's `rank_genes_groups` stores them for
/// that group (`scores`, `logfoldchanges`, `pvals`, `pvals_adj`; or mean differences in place of
/// the fold changes), in the file's gene order.
public struct DifferentialComparison: Sendable {
    /// The stratum's labels in a `--stratify` run, one per column (empty without).
    public var strata: [String]
    public var group: String
    /// The reference group's label, or `rest`.
    public var reference: String
    public var groupCells: Int
    /// Cells of the reference, or of the rest.
    public var referenceCells: Int
    /// Wilcoxon z-scores or t statistics.
    public var scores: [Double]
    /// log₂ fold changes, or mean differences (``DifferentialResult/effect``).
    public var effects: [Double]
    public var pValues: [Double]
    /// Benjamini–Hochberg over this comparison's genes.
    public var adjustedPValues: [Double]
    /// Gene indices by score, highest first; equal scores keep file order.
    public var order: [Int]
}
