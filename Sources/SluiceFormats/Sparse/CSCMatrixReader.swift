import Foundation

/// Reads rows (cells) of a compressed-sparse-column matrix (h5ad `csc_matrix`) in bounded memory.
///
/// A CSC matrix stores each gene's cells together, so one cell's counts are spread over the whole
/// file. On the first read the matrix is transposed once, externally: genes are read in blocks
/// of at most `entriesPerBlock` stored values and their entries are sorted by cell into a
/// ``RowBucketStore`` in `scratch` (12 bytes per stored value on disk, deleted afterwards).
/// Every read after that touches only the buckets of the cells asked for.
final class CSCMatrixReader: RowMatrixReader {
    let rowCount: Int
    let columnCount: Int
    let path: String
    let what: String
    private let indptr: [Int64]
    private let data: HDF5ChunkReader
    private let indices: HDF5ChunkReader
    private let scratch: URL?
    private let entriesPerBlock: Int
    private var store: RowBucketStore?

    init(group: HDF5Group, rows: Int, columns: Int, what: String, scratch: URL?, entriesPerBlock: Int = 4 << 20) throws {
        self.rowCount = rows
        self.columnCount = columns
        self.path = group.path
        self.what = what
        self.scratch = scratch
        self.entriesPerBlock = entriesPerBlock
        let arrays = try CompressedSparseArrays(group: group, majorCount: columns, major: "column", what: what)
        indptr = arrays.indptr
        data = arrays.data
        indices = arrays.indices
    }

    var storedCount: Int? { Int(indptr.last ?? 0) }

    /// Bytes of scratch space the transpose uses (12 per stored value).
    var scratchBytes: Int { (storedCount ?? 0) * 12 }

    func read(rows: Range<Int>) throws -> SparseRows {
        try transposed().read(rows: rows)
    }

    /// The entries sorted by cell, transposing on first use.
    private func transposed() throws -> RowBucketStore {
        if let store { return store }
        let built = try RowBucketStore(rowCount: rowCount, columnCount: columnCount, parent: scratch)
        var gene = 0
        while gene < columnCount {
            // Take genes until the block holds entriesPerBlock values (at least one gene).
            var end = gene + 1
            while end < columnCount, indptr[end + 1] - indptr[gene] <= Int64(entriesPerBlock) { end += 1 }
            let lower = Int(indptr[gene])
            let upper = Int(indptr[end])
            let cellIndices = try indices.read(Int32.self, range: lower..<upper)
            let values = try data.read(Float.self, range: lower..<upper)
            for g in gene..<end {
                for k in (Int(indptr[g]) - lower)..<(Int(indptr[g + 1]) - lower) {
                    let cell = Int(cellIndices[k])
                    guard cell >= 0, cell < rowCount else {
                        throw FormatError(
                            .indexOutOfRange, path: path,
                            "\(what) has row index \(cell) in column \(g), outside the \(rowCount) rows")
                    }
                    try built.append(row: cell, column: g, value: values[k])
                }
            }
            gene = end
        }
        try built.finish()
        store = built
        return built
    }
}
