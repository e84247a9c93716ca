/// The outcome of `sluice analyze differential`: one comparison per (stratum,) group.
public struct DifferentialResult: Sendable {
    /// Gene names (the file's var index), in file order.
    public var genes: [String]
    /// Comparisons in scanpy's order: strata in column order, groups in `--groups` or column order.
    public var comparisons: [DifferentialComparison]
    /// Whether results carry a stratum.
    public var stratified: Bool
    /// Things the user should know: labelless cells, skipped groups.
    public var notes: [String]
    /// Passes over the file (1 unless the stored values outgrew the memory budget).
    public var passes: Int
    /// Cells in the file.
    public var cells: Int
}
