import Foundation

/// What `sluice analyze differential` compares, and how; the defaults are scanpy's
/// `rank_genes_groups` defaults except for the method (Wilcoxon here, t-test in scanpy).
public struct DifferentialOptions: Sendable {
    /// The cell-metadata column whose labels define the groups (scanpy's `groupby`).
    public var groupBy: String
    /// The group every other group is compared with; `nil` compares each group with all other cells ("rest").
    public var reference: String?
    /// The groups to report, in this order; `nil` reports every label in the column's order.
    public var groups: [String]?
    /// `normalize_total(target_sum=1e4)` and `log1p` before testing (for raw counts).
    public var normalize = false
    /// scipy's tie correction of the Wilcoxon variance.
    public var tieCorrect = false
    /// The test (scanpy's `method`).
    public var method: DifferentialMethod = .wilcoxon
    /// Groups with fewer cells are skipped and noted; 0 (the default): scanpy's rule — a selected
    /// group with fewer than 2 cells stops an unstratified run.
    public var minCells = 0
    /// Run the same test separately within each combination of these columns' labels (none: all cells together).
    public var stratify: [String] = []
    /// The column that pairs samples of a group with the reference's (the patient, the donor);
    /// sample-level tables only (``SampleDifferential``).
    public var pairBy: String?
    /// What the table reports as the size of each difference.
    public var effect: DifferentialEffect = .logFoldChange
    /// Cells read at a time.
    public var chunkSize = 10_000
    /// Bytes of stored values (8 per non-zero) held at once; genes beyond it are collected by
    /// further passes over the file.
    public var memoryBudget = 2 << 30
    /// Threads for normalization and per-gene statistics.
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)

    public init(groupBy: String) {
        self.groupBy = groupBy
    }
}
