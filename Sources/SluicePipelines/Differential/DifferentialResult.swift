public import SluiceEngine

/// The outcome of `sluice analyze differential`: one comparison per (stratum,) group.
public struct DifferentialResult: Sendable {
    /// Gene names (the file's var index), in file order.
    public var genes: [String]
    /// Comparisons in scanpy's order: strata in column order, groups in `--groups` or column order.
    public var comparisons: [DifferentialComparison]
    /// The `--stratify` columns (empty: one stratum, all cells).
    public var stratifiedBy: [String]
    /// What ``DifferentialComparison/effects`` holds.
    public var effect: DifferentialEffect
    /// Things the user should know: labelless cells, skipped groups.
    public var notes: [String]
    /// Passes over the file (1 unless the stored values outgrew the memory budget).
    public var passes: Int
    /// Cells in the file.
    public var cells: Int

    /// What the run report shows of it: cells, genes, comparisons, and the tests (gene and
    /// comparison) with an adjusted p-value below 0.05.
    public var report: AnalysisReport {
        let significant = comparisons.reduce(0) { total, comparison in total + comparison.adjustedPValues.filter { $0 < 0.05 }.count }
        return AnalysisReport(
            analysis: "differential",
            counts: [.init("cells", cells), .init("genes", genes.count), .init("comparisons", comparisons.count), .init("tests with adj. p < 0.05", significant)])
    }
}
