/// One CSR matrix of an h5ad file being written (`X`, or a layer): `data` (float32), `indices`
/// (int32) and row pointers, grown batch by batch.
final class H5ADSparseMatrixWriter {
    private let group: HDF5Group
    private let data: HDF5Dataset
    private let indices: HDF5Dataset
    /// Row pointers grow as int64 under a working name; ``finish(rows:columns:)`` writes the
    /// final `indptr` with the same integer width as `indices` when the count allows, as scipy expects.
    private let workingIndptr: HDF5Dataset
    private let gzipLevel: Int?
    private var stored: Int64 = 0

    private static let workingName = "indptr.int64"

    init(in parent: HDF5Group, name: String, chunkElements: Int, gzipLevel: Int?) throws {
        group = try parent.createGroup(name)
        try group.setAttribute("encoding-type", string: "csr_matrix")
        try group.setAttribute("encoding-version", string: "0.1.0")
        data = try group.createDataset("data", storage: .float32, shape: [0], extendable: true, chunkRows: chunkElements, gzipLevel: gzipLevel)
        indices = try group.createDataset("indices", storage: .int32, shape: [0], extendable: true, chunkRows: chunkElements, gzipLevel: gzipLevel)
        workingIndptr = try group.createDataset(Self.workingName, storage: .int64, shape: [0], extendable: true, chunkRows: 16_384, gzipLevel: gzipLevel)
        try workingIndptr.append([Int64(0)])
        self.gzipLevel = gzipLevel
    }

    func append(_ rows: SparseRows) throws {
        try data.append(rows.values)
        try indices.append(rows.columns)
        let base = stored
        try workingIndptr.append(rows.offsets.dropFirst().map { $0 + base })
        stored += Int64(rows.nonZeroCount)
    }

    /// Writes the shape and the final `indptr` (int32 when every pointer fits), in bounded chunks.
    func finish(rows: Int, columns: Int) throws {
        try group.setAttribute("shape", integers: [Int64(rows), Int64(columns)])
        let narrow = stored <= Int64(Int32.max)
        let final = try group.createDataset(
            "indptr", storage: narrow ? .int32 : .int64, shape: [0], extendable: true, chunkRows: 16_384, gzipLevel: gzipLevel)
        let total = workingIndptr.shape[0]
        for start in stride(from: 0, to: total, by: 1 << 20) {
            let values = try workingIndptr.read(Int64.self, range: start..<min(total, start + (1 << 20)))
            if narrow { try final.append(values.map { Int32($0) }) } else { try final.append(values) }
        }
        try group.unlink(Self.workingName)
    }
}
