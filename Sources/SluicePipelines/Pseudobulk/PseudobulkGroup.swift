/// One group of cells: its labels, its size, and whether the filters kept it.
public struct PseudobulkGroup: Sendable, Hashable {
    /// The labels joined by `_`, as scanpy's `aggregate` names groups (made unique with `-1`,
    /// `-2`, … in the rare case two label combinations join to the same text).
    public var name: String
    /// The group's label in each key column.
    public var labels: [String]
    /// Cells in the group (decoupler's `psbulk_cells`).
    public var cells: Int
    /// The group's counts summed over cells and genes (decoupler's `psbulk_counts`).
    public var totalCounts: Double
    /// Whether the group has at least `--min-cells` cells and `--min-counts` counts.
    public var kept: Bool

    public init(name: String, labels: [String], cells: Int, totalCounts: Double, kept: Bool) {
        self.name = name
        self.labels = labels
        self.cells = cells
        self.totalCounts = totalCounts
        self.kept = kept
    }
}
