import SluiceFormats

/// Per-slot, per-gene sums and sums of squares of the stored values, gathered as cells stream
/// past: all the t-tests need, so they take one pass and no transpose
/// (16 bytes × slots × genes).
final class SlotGeneSums {
    let genes: Int
    private(set) var slotCount = 0
    /// Σx of slot `s`, gene `g` at `s × genes + g`.
    private(set) var sums: [Double] = []
    /// Σx² (each square in float32, as scanpy's) at the same place.
    private(set) var squares: [Double] = []

    init(genes: Int) {
        self.genes = genes
    }

    /// Writes the sums so far into a checkpoint's archive.
    func save(into archive: inout StateArchive) {
        archive.put("slot-gene-sums", sums)
        archive.put("slot-gene-squares", squares)
    }

    /// Takes up the sums a checkpoint saved for `slotCount` slots.
    func restore(from archive: StateArchive, slotCount: Int) throws {
        let (sums, squares) = (try archive.array("slot-gene-sums", of: Double.self), try archive.array("slot-gene-squares", of: Double.self))
        guard sums.count == slotCount * genes, squares.count == sums.count else {
            throw AnalysisError(code: "differential.checkpoint", "the checkpoint's sums do not match the file's genes and groups; delete it to start afresh")
        }
        (self.sums, self.squares, self.slotCount) = (sums, squares, slotCount)
    }

    /// Adds the stored values of `matrix`'s rows, row `r` belonging to slot `slots[r]`
    /// (``SlotTable/skipped`` rows left out). A NaN is an error.
    func add(_ matrix: SparseRows, slots: ArraySlice<UInt32>, slotCount: Int, path: String) throws {
        if slotCount > self.slotCount {
            sums += [Double](repeating: 0, count: (slotCount - self.slotCount) * genes)
            squares += [Double](repeating: 0, count: (slotCount - self.slotCount) * genes)
            self.slotCount = slotCount
        }
        let genes = self.genes
        var nan = false
        matrix.offsets.withUnsafeBufferPointer { offsets in
            matrix.columns.withUnsafeBufferPointer { genesOfValue in
                matrix.values.withUnsafeBufferPointer { values in
                    sums.withUnsafeMutableBufferPointer { sums in
                        squares.withUnsafeMutableBufferPointer { squares in
                            for (row, slot) in zip(0..<matrix.rowCount, slots) where slot != SlotTable.skipped {
                                let base = Int(slot) * genes
                                for entry in Int(offsets[row])..<Int(offsets[row + 1]) {
                                    let value = values[entry]
                                    if value.isNaN { nan = true }
                                    let index = base + Int(genesOfValue[entry])
                                    sums[index] += Double(value)
                                    squares[index] += Double(value * value)
                                }
                            }
                        }
                    }
                }
            }
        }
        if nan {
            throw AnalysisError(
                code: "differential.nan-value",
                "\(path) holds NaN expression values; rank tests need numbers (fill or drop them first)")
        }
    }
}
