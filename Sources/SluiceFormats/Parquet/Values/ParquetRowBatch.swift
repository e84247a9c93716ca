/// A run of rows, one `ParquetColumnData` per schema column in schema order.
public struct ParquetRowBatch: Sendable, Hashable {
    /// The column data, in the order of the schema's columns (or of the columns asked for).
    public var columns: [ParquetColumnData]

    /// A batch of `columns`; every column must have the same row count.
    public init(_ columns: [ParquetColumnData]) {
        self.columns = columns
    }

    /// The number of rows (that of the first column; 0 when there are no columns).
    public var rowCount: Int { columns.first?.rowCount ?? 0 }

    /// Rows `range` of every column.
    public func slice(_ range: Range<Int>) -> ParquetRowBatch {
        ParquetRowBatch(columns.map { $0.slice(range) })
    }
}
