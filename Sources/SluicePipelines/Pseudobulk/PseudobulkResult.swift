public import SluiceEngine
public import SluiceFormats
public import SluiceKernels

/// What `sluice analyze pseudobulk` found: every group with its size, and for the groups the
/// filters kept, the per-gene sums, non-zero cell counts and (with `--bootstrap`) the bootstrap
/// summary.
public struct PseudobulkResult: Sendable {
    /// Names of the key columns (a relabelled column is named `<column>_<level>`).
    public var keyColumns: [String]
    /// The genes (var) of the source.
    public var genes: Frame
    /// Every group found, in order (key columns' category, hierarchy, numeric or text order).
    public var groups: [PseudobulkGroup]
    /// Per kept group (in ``keptGroups`` order): each gene's sum over the group's cells.
    public var sums: [[Double]]
    /// Per kept group: how many of its cells have a non-zero value of each gene.
    public var nonzeroCells: [[Int32]]
    /// Per kept group, with `--bootstrap`: bootstrap mean and 95% interval of the mean.
    public var bootstrap: [BootstrapSummary]?
    /// The bootstrap's replicates and seed, when it ran.
    public var bootstrapScheme: PoissonBootstrap?
    /// Cells in the source.
    public var cells: Int
    /// Cells left out because a key label was missing.
    public var droppedCells: Int
    /// Cells with a missing label, per `--by` column (a cell may count in several).
    public var missingLabels: [(column: String, cells: Int)]

    /// The groups the filters kept, in order: the rows of ``sums`` and ``nonzeroCells``.
    public var keptGroups: [PseudobulkGroup]

    /// Kept group k's mean of each gene: sum / cells, as scanpy's `aggregate(func="mean")`.
    public func means(_ k: Int) -> [Double] {
        let cells = Double(keptGroups[k].cells)
        return sums[k].map { $0 / cells }
    }

    /// What the run report shows of it: cells, genes and groups, and how the groups' sizes
    /// spread, kept and filtered out apart.
    public var report: AnalysisReport {
        let sizes = groups.map { Double($0.cells) }
        return AnalysisReport(
            analysis: "pseudobulk",
            counts: [
                .init("cells", cells), .init("cells without a label", droppedCells), .init("genes", genes.rowCount),
                .init("groups", groups.count), .init("groups kept", keptGroups.count),
            ],
            figures: [.init(title: "groups by their cells", histogram: .init(values: sizes, kept: groups.map(\.kept)))])
    }
}
