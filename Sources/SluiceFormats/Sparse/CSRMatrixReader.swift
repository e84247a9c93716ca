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
        let dataset = try group.dataset("data")
        let indexDataset = try group.dataset("indices")
        let pointerDataset = try group.dataset("indptr")
        for member in [dataset, indexDataset, pointerDataset] { try member.requireRank(1) }
        guard case .integer = indexDataset.elementType else {
            throw FormatError(.unsupportedType, path: path, "\(indexDataset.name) holds \(indexDataset.elementType), where integer indices are expected")
        }
        self.data = try HDF5ChunkReader(dataset)
        self.indices = try HDF5ChunkReader(indexDataset)
        guard pointerDataset.shape[0] == rows + 1 else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(what) has \(rows) rows but \(pointerDataset.name) has \(pointerDataset.shape[0]) entries (expected \(rows + 1))")
        }
        let pointers = try pointerDataset.readAll(Int64.self)
        let stored = dataset.shape[0]
        guard indexDataset.shape[0] == stored else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(what) has \(stored) values but \(indexDataset.shape[0]) indices")
        }
        guard pointers.first == 0, pointers.last == Int64(stored) else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(pointerDataset.name) runs from \(pointers.first ?? 0) to \(pointers.last ?? 0), but \(what) stores \(stored) values")
        }
        for i in 1..<pointers.count where pointers[i] < pointers[i - 1] {
            throw FormatError(.inconsistentShape, path: path, "\(pointerDataset.name) decreases at row \(i - 1)")
        }
        self.indptr = pointers
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
        let offsets = indptr[rows.lowerBound...rows.upperBound].map { $0 - base }
        var block = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: columnCount)
        try block.validateColumns(path: path, what: what, firstRow: rows.lowerBound)
        block.sortColumnsWithinRows()
        return block
    }
}
