/// Reads rows of a metadata table (obs or var) on demand.
///
/// The h5ad, 10x and Loom readers hold one for cells and read the rows of each batch as it is
/// asked for, so cell metadata never has to fit in memory at once.
protocol FrameReader {
    /// Number of rows.
    var rowCount: Int { get }
    /// The columns every ``read(rows:)`` returns.
    var schema: [FrameColumn.Schema] { get }
    /// Reads rows `rows` (index and every column).
    func read(rows: Range<Int>) throws -> Frame
}

extension FrameReader {
    /// Reads the whole table (for gene metadata, which is small).
    func readAll() throws -> Frame { try read(rows: 0..<rowCount) }
}
