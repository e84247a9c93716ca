/// A small column store for cell (obs) or gene (var) metadata.
///
/// Every column has one value per row. Columns are strings, categoricals (codes into a list of
/// categories), integers, floats or booleans; any column may carry a missing-value mask.
public struct Frame: Hashable, Sendable {
    /// Row names (`obs_names` / `var_names`): cell barcodes or gene ids.
    public var index: [String]
    /// The name the file gives the index (e.g. `_index`, `gene_ids`).
    public var indexName: String
    /// The metadata columns, in file order.
    public var columns: [FrameColumn]

    public init(index: [String], indexName: String = "_index", columns: [FrameColumn] = []) {
        self.index = index
        self.indexName = indexName
        self.columns = columns
    }

    /// Number of rows.
    public var rowCount: Int { index.count }

    /// The column named `name`, if present.
    public subscript(name: String) -> FrameColumn? {
        columns.first { $0.name == name }
    }

    /// The names and kinds of the columns.
    public var schema: [FrameColumn.Schema] { columns.map(\.schema) }

    /// The rows in `range`.
    public func rows(_ range: Range<Int>) -> Frame {
        Frame(index: Array(index[range]), indexName: indexName, columns: columns.map { $0.rows(range) })
    }
}
