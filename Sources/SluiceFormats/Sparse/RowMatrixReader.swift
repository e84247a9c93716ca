/// Reads consecutive rows (cells) of a stored matrix as ``SparseRows``.
protocol RowMatrixReader: AnyObject {
    var rowCount: Int { get }
    var columnCount: Int { get }
    /// Stored entries in the whole matrix, when known without reading it.
    var storedCount: Int? { get }
    func read(rows: Range<Int>) throws -> SparseRows
}
