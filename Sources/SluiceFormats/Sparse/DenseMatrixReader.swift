/// Reads rows of a dense 2-D dataset and keeps the non-zero entries.
///
/// With `transposed`, the dataset is stored genes × cells (Loom's `/matrix`) and rows of the
/// result are columns of the dataset. Reads go in slabs of about `slabElements` values so that a
/// wide matrix never needs a whole batch × genes dense buffer.
final class DenseMatrixReader: RowMatrixReader {
    let rowCount: Int
    let columnCount: Int
    let storedCount: Int? = nil
    private let dataset: HDF5Dataset
    private let transposed: Bool
    private let slabElements: Int

    init(dataset: HDF5Dataset, transposed: Bool, slabElements: Int = 8 << 20) throws {
        try dataset.requireRank(2)
        try dataset.requireNumeric()
        if let unavailable = dataset.filters.first(where: { !$0.isAvailable }) {
            throw FormatError(
                .unsupportedFilter, path: dataset.path,
                "\(dataset.name) is compressed with \(unavailable), which this HDF5 build cannot decode")
        }
        self.dataset = dataset
        self.transposed = transposed
        self.rowCount = transposed ? dataset.shape[1] : dataset.shape[0]
        self.columnCount = transposed ? dataset.shape[0] : dataset.shape[1]
        self.slabElements = slabElements
    }

    func read(rows: Range<Int>) throws -> SparseRows {
        transposed ? try readTransposed(rows) : try readRows(rows)
    }

    private func readRows(_ rows: Range<Int>) throws -> SparseRows {
        var result = SparseRows(columnCount: columnCount)
        let step = max(1, slabElements / max(1, columnCount))
        for start in stride(from: rows.lowerBound, to: rows.upperBound, by: step) {
            let slab = start..<min(start + step, rows.upperBound)
            let values = try dataset.read(Float.self, rows: slab, columns: 0..<columnCount)
            values.withUnsafeBufferPointer { dense in
                for r in 0..<slab.count {
                    let row = dense.baseAddress! + r * columnCount
                    for c in 0..<columnCount where row[c] != 0 {
                        result.columns.append(Int32(c))
                        result.values.append(row[c])
                    }
                    result.offsets.append(Int64(result.values.count))
                }
            }
        }
        return result
    }

    /// Cells are dataset columns: read gene slabs × the cell range, scatter into per-cell lists.
    private func readTransposed(_ cells: Range<Int>) throws -> SparseRows {
        guard !cells.isEmpty else { return SparseRows(columnCount: columnCount) }
        var perCell = [[(Int32, Float)]](repeating: [], count: cells.count)
        let step = max(1, slabElements / cells.count)
        for start in stride(from: 0, to: columnCount, by: step) {
            let genes = start..<min(start + step, columnCount)
            let values = try dataset.read(Float.self, rows: genes, columns: cells)
            values.withUnsafeBufferPointer { dense in
                for g in 0..<genes.count {
                    let row = dense.baseAddress! + g * cells.count
                    for c in 0..<cells.count where row[c] != 0 {
                        perCell[c].append((Int32(genes.lowerBound + g), row[c]))
                    }
                }
            }
        }
        var result = SparseRows(columnCount: columnCount)
        for entries in perCell {
            for (gene, value) in entries {
                result.columns.append(gene)
                result.values.append(value)
            }
            result.offsets.append(Int64(result.values.count))
        }
        return result
    }
}
