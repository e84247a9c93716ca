/// A block of consecutive cells: their counts and their metadata rows.
public struct CellBatch: Hashable, Sendable {
    /// The cells this batch holds, as positions in the source.
    public var cells: Range<Int>
    /// Cells × genes counts, one row per cell of `cells`.
    public var matrix: SparseRows
    /// The cells' metadata rows (index = cell barcodes / names).
    public var obs: Frame

    /// A batch of the cells `cells`, with their counts and metadata rows.
    public init(cells: Range<Int>, matrix: SparseRows, obs: Frame) {
        self.cells = cells
        self.matrix = matrix
        self.obs = obs
    }
}
