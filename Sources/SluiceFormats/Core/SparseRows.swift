/// A block of cells × genes in compressed sparse row (CSR) form — the unit that flows between
/// readers, kernels and writers.
///
/// Row `r` holds the entries `offsets[r] ..< offsets[r + 1]` of `columns` and `values`; columns
/// within a row are in ascending order for every reader in this module.
public struct SparseRows: Hashable, Sendable {
    /// `rowCount + 1` offsets into `columns` / `values`, starting at 0.
    public var offsets: [Int64]
    /// Column (gene) index of each stored entry.
    public var columns: [Int32]
    /// Value of each stored entry.
    public var values: [Float]
    /// Number of columns (genes) of the full matrix.
    public var columnCount: Int

    /// A block from its arrays: `offsets` must start at 0 and end at `values.count`, and `columns`
    /// must be as long as `values` (checked by precondition).
    public init(offsets: [Int64], columns: [Int32], values: [Float], columnCount: Int) {
        precondition(!offsets.isEmpty && offsets.first == 0, "offsets must start at 0")
        precondition(columns.count == values.count && Int(offsets.last!) == values.count, "offsets, columns and values disagree")
        self.offsets = offsets
        self.columns = columns
        self.values = values
        self.columnCount = columnCount
    }

    /// A dense block as CSR with every entry stored, zeros too: `values` row-major, `rows` ×
    /// `columnCount` of them (as AnnData keeps a table of scores in a `csr_matrix`).
    public init(dense values: [Float], rows: Int, columnCount: Int) {
        precondition(values.count == rows * columnCount, "a dense block holds rows × columns values")
        self.init(
            offsets: (0...rows).map { Int64($0 * columnCount) }, columns: (0..<rows).flatMap { _ in 0..<Int32(columnCount) }, values: values,
            columnCount: columnCount)
    }

    /// An empty block with `columnCount` columns.
    public init(columnCount: Int) {
        self.init(offsets: [0], columns: [], values: [], columnCount: columnCount)
    }

    /// Number of rows (cells).
    public var rowCount: Int { offsets.count - 1 }
    /// Number of stored entries.
    public var nonZeroCount: Int { values.count }

    /// The stored entries of one row.
    public func row(_ r: Int) -> (columns: ArraySlice<Int32>, values: ArraySlice<Float>) {
        let range = Int(offsets[r])..<Int(offsets[r + 1])
        return (columns[range], values[range])
    }

    /// Appends the rows of `other` below these rows.
    public mutating func append(_ other: SparseRows) {
        precondition(other.columnCount == columnCount, "column counts differ")
        let base = offsets.last!
        offsets.reserveCapacity(offsets.count + other.rowCount)
        for r in 1..<other.offsets.count { offsets.append(base + other.offsets[r]) }
        columns.append(contentsOf: other.columns)
        values.append(contentsOf: other.values)
    }
}
