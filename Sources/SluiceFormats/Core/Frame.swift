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

    /// A frame with row names `index`, named `indexName`, and `columns`.
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

    /// The rows at `positions` (a range, or any list of row numbers), in that order.
    public func rows(_ positions: some Collection<Int>) -> Frame {
        Frame(index: positions.map { index[$0] }, indexName: indexName, columns: columns.map { $0.rows(positions) })
    }
}
