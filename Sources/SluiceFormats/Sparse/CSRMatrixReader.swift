/// Reads rows of a compressed-sparse-row matrix stored as `data`, `indices`, `indptr` datasets.
///
/// Used for h5ad `csr_matrix` elements (and legacy h5sparse ones) and for 10x HDF5 matrices,
/// which are genes × cells CSC — that is, cells × genes CSR. `indptr` is held in memory
/// (8 bytes per row); `data` and `indices` are read per row range through ``HDF5ChunkReader``,
/// inflating compressed chunks on all cores.
final class CSRMatrixReader: RowMatrixReader {
    let rowCount: Int
    let columnCount: Int
    let path: String
    /// What the matrix is (e.g. `X`), for messages.
    let what: String
    private let indptr: [Int64]
    private let data: HDF5ChunkReader
    private let indices: HDF5ChunkReader

    init(group: HDF5Group, rows: Int, columns: Int, what: String) throws {
        self.rowCount = rows
        self.columnCount = columns
        self.path = group.path
        self.what = what
        let arrays = try CompressedSparseArrays(group: group, majorCount: rows, major: "row", what: what)
        indptr = arrays.indptr
        data = arrays.data
        indices = arrays.indices
    }

    var storedCount: Int? { Int(indptr.last ?? 0) }

    /// Whether compressed chunks are inflated in parallel.
    var isParallel: Bool { data.isParallel && indices.isParallel }

    func read(rows: Range<Int>) throws -> SparseRows {
        let lower = Int(indptr[rows.lowerBound])
        let upper = Int(indptr[rows.upperBound])
        let columns = try indices.read(Int32.self, range: lower..<upper)
        let values = try data.read(Float.self, range: lower..<upper)
        let base = indptr[rows.lowerBound]
        let offsets = [Int64](unsafeUninitializedCapacity: rows.count + 1) { buffer, count in
            indptr.withUnsafeBufferPointer { pointers in
                for i in 0...rows.count { buffer[i] = pointers[rows.lowerBound + i] - base }
            }
            count = rows.count + 1
        }
        var block = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: columnCount)
        try block.validateAndSortColumns(path: path, what: what, firstRow: rows.lowerBound)
        return block
    }
}
