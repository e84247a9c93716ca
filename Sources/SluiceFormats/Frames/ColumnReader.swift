/// Reads row ranges of one metadata column stored in a file.
protocol ColumnReader {
    var name: String { get }
    var rowCount: Int { get }
    var schema: FrameColumn.Schema { get }
    func read(rows: Range<Int>) throws -> FrameColumn
}
