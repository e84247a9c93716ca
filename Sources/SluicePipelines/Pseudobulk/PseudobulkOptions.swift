/// What `sluice analyze pseudobulk` aggregates and keeps.
public struct PseudobulkOptions: Sendable {
    /// The obs columns whose label combination defines a group (`--by cell_type,donor_id`).
    public var by: [String]
    /// Keep groups with at least this many cells (decoupler's `min_cells`).
    public var minCells: Int = 10
    /// Keep groups whose counts sum to at least this (decoupler's `min_counts`).
    public var minCounts: Double = 1000
    /// Relabel one `by` column through a cell-type hierarchy before grouping.
    public var hierarchy: HierarchyChoice?
    /// Poisson-bootstrap replicates (0: no bootstrap).
    public var bootstrapReplicates: Int = 0
    /// Seed of the bootstrap multiplicities.
    public var seed: UInt64 = 0
    /// Cells read at a time.
    public var chunkSize: Int = 10_000
    /// The most bytes the per-group accumulators may take; a run that would need more stops with
    /// an error as soon as it finds the group that crosses the limit.
    public var accumulatorMemoryLimit: Int = 8 << 30

    /// A hierarchy, the level to aggregate at, and the `by` column it relabels.
    public struct HierarchyChoice: Sendable {
        public var hierarchy: CellTypeHierarchy
        public var level: String
        /// The `by` column holding the fine labels.
        public var column: String

        public init(hierarchy: CellTypeHierarchy, level: String, column: String) {
            self.hierarchy = hierarchy
            self.level = level
            self.column = column
        }
    }

    public init(by: [String]) {
        self.by = by
    }
}
