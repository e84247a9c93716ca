/// The three arrays of a compressed sparse matrix (`data`, `indices`, `indptr`), opened and
/// checked against each other.
///
/// Shared by the CSR and CSC readers: `indptr` has one entry per major element (row for CSR,
/// column for CSC) plus one, starts at 0, never decreases and ends at the number of stored
/// values; `data` and `indices` have that many entries. `indptr` is held in memory;
/// `data` and `indices` are read through ``HDF5ChunkReader``s.
struct CompressedSparseArrays {
    let indptr: [Int64]
    let data: HDF5ChunkReader
    let indices: HDF5ChunkReader

    /// Opens the arrays of `group`; `majorCount` is the number of rows (CSR) or columns (CSC),
    /// `major` the word for them in messages.
    init(group: HDF5Group, majorCount: Int, major: String, what: String) throws {
        let path = group.path
        let dataset = try group.dataset("data")
        let indexDataset = try group.dataset("indices")
        let pointerDataset = try group.dataset("indptr")
        for member in [dataset, indexDataset, pointerDataset] { try member.requireRank(1) }
        guard case .integer = indexDataset.elementType else {
            throw FormatError(
                .unsupportedType, path: path, "\(indexDataset.name) holds \(indexDataset.elementType), where integer indices are expected")
        }
        data = try HDF5ChunkReader(dataset)
        indices = try HDF5ChunkReader(indexDataset)
        guard pointerDataset.shape[0] == majorCount + 1 else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(what) has \(majorCount) \(major)s but \(pointerDataset.name) has \(pointerDataset.shape[0]) entries (expected \(majorCount + 1))")
        }
        let stored = dataset.shape[0]
        guard indexDataset.shape[0] == stored else {
            throw FormatError(.inconsistentShape, path: path, "\(what) has \(stored) values but \(indexDataset.shape[0]) indices")
        }
        let pointers = try pointerDataset.readAll(Int64.self)
        guard pointers.first == 0, pointers.last == Int64(stored) else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(pointerDataset.name) runs from \(pointers.first ?? 0) to \(pointers.last ?? 0), but \(what) stores \(stored) values")
        }
        for i in 1..<pointers.count where pointers[i] < pointers[i - 1] {
            throw FormatError(.inconsistentShape, path: path, "\(pointerDataset.name) decreases at \(major) \(i - 1)")
        }
        indptr = pointers
    }

    /// Number of stored values.
    var storedCount: Int { Int(indptr.last ?? 0) }

    /// Whether compressed chunks are inflated in parallel.
    var isParallel: Bool { data.isParallel && indices.isParallel }
}
