import SluiceFormats
import SluiceKernels

/// The stored (non-zero) values of a range of genes, as ``RankKey``s (value and cell slot, 8
/// bytes each), gathered from cell batches: a transpose of the file, one gene block at a time.
///
/// Each gene's keys live in one growable buffer, grown once per batch to what the batch brings
/// (so the scatter loop writes through plain pointers). When a budget is given and the buffers
/// outgrow it, the highest genes of the range are dropped (``shrinkToBudget()``) and collected by
/// another pass over the file; every gene's stored-value count is kept for planning those passes.
final class GeneValueStore: @unchecked Sendable {
    // After collection, each gene's buffer is read and sorted in place by exactly one thread,
    // and nothing else touches the store until those threads are done: hence @unchecked Sendable.

    /// The genes this store was asked for.
    let genes: Range<Int>
    /// Genes `genes.lowerBound ..< limit` are collected completely.
    private(set) var limit: Int
    /// Keys held.
    private(set) var storedCount = 0
    /// Key capacity allocated (what the budget is checked against).
    private(set) var allocatedCount = 0
    /// Most keys allocated at once before genes are dropped.
    let budget: Int

    private var buffers: [UnsafeMutablePointer<UInt64>?]
    private var counts: [Int]
    private var capacities: [Int]
    private var batchCounts: [Int]

    /// A store for `genes`; `capacities` (one per gene) allocates exact room when counts are known.
    init(genes: Range<Int>, budget: Int, capacities: ArraySlice<Int>? = nil) {
        self.genes = genes
        self.budget = max(1, budget)
        limit = genes.upperBound
        buffers = [UnsafeMutablePointer<UInt64>?](repeating: nil, count: genes.count)
        counts = [Int](repeating: 0, count: genes.count)
        self.capacities = [Int](repeating: 0, count: genes.count)
        batchCounts = [Int](repeating: 0, count: genes.count)
        if let capacities {
            for (index, capacity) in zip(buffers.indices, capacities) where capacity > 0 { grow(index, to: capacity) }
        }
    }

    deinit { removeAll() }

    /// The keys of gene `genes.lowerBound + index`, in cell order until sorted.
    func column(_ index: Int) -> UnsafeMutableBufferPointer<UInt64> {
        UnsafeMutableBufferPointer(start: buffers[index], count: counts[index])
    }

    /// Adds the stored values of `matrix`'s rows, row `r` belonging to slot `slots[r]` (rows in
    /// ``SlotTable/skipped`` are left out), and counts every gene's stored values in
    /// `nonzeroPerGene` when `counting`. Zeros are skipped; a NaN is an error.
    func add(_ matrix: SparseRows, slots: ArraySlice<UInt32>, nonzeroPerGene: inout [Int], counting: Bool, path: String) throws {
        let lower = genes.lowerBound
        let keep = limit
        var nan = false
        // First: how many values each gene gets from this batch.
        matrix.offsets.withUnsafeBufferPointer { offsets in
            matrix.columns.withUnsafeBufferPointer { genesOfValue in
                matrix.values.withUnsafeBufferPointer { values in
                    nonzeroPerGene.withUnsafeMutableBufferPointer { totals in
                        batchCounts.withUnsafeMutableBufferPointer { batchCounts in
                            for (row, slot) in zip(0..<matrix.rowCount, slots) where slot != SlotTable.skipped {
                                for entry in Int(offsets[row])..<Int(offsets[row + 1]) {
                                    let value = values[entry]
                                    if value == 0 { continue }
                                    if value.isNaN {
                                        nan = true
                                        continue
                                    }
                                    let gene = Int(genesOfValue[entry])
                                    if counting { totals[gene] += 1 }
                                    if gene >= lower && gene < keep { batchCounts[gene - lower] += 1 }
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
        for index in 0..<(keep - lower) where batchCounts[index] > 0 {
            let needed = counts[index] + batchCounts[index]
            if needed > capacities[index] { grow(index, to: max(needed, capacities[index] * 2, 16)) }
            storedCount += batchCounts[index]
            batchCounts[index] = 0
        }
        // Then: the keys, written through each gene's buffer.
        matrix.offsets.withUnsafeBufferPointer { offsets in
            matrix.columns.withUnsafeBufferPointer { genesOfValue in
                matrix.values.withUnsafeBufferPointer { values in
                    buffers.withUnsafeBufferPointer { buffers in
                        counts.withUnsafeMutableBufferPointer { counts in
                            for (row, slot) in zip(0..<matrix.rowCount, slots) where slot != SlotTable.skipped {
                                for entry in Int(offsets[row])..<Int(offsets[row + 1]) {
                                    let value = values[entry]
                                    let gene = Int(genesOfValue[entry])
                                    if value == 0 || gene < lower || gene >= keep { continue }
                                    let index = gene - lower
                                    buffers[index]![counts[index]] = RankKey.make(value, slot: slot)
                                    counts[index] += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// How a store's buffers stand, as a checkpoint's spill keeps it beside their keys: its
    /// limit, and each collected gene's key count and buffer capacity (what later drops depend on).
    struct Layout {
        var limit: Int
        var counts: [Int]
        var capacities: [Int]
    }

    /// The store's layout now; gene `genes.lowerBound + i`'s keys are ``column(_:)`` `i`.
    var layout: Layout {
        let collected = limit - genes.lowerBound
        return Layout(limit: limit, counts: Array(counts[..<collected]), capacities: Array(capacities[..<collected]))
    }

    /// Takes up `layout` (from a store of the same genes), each collected gene's keys written by
    /// `fill` into its buffer in place; the store must be empty. Afterwards it holds and
    /// allocates what that store did, so later batches drop the same genes.
    func restore(_ layout: Layout, fill: (_ keys: UnsafeMutableBufferPointer<UInt64>) throws -> Void) throws {
        let collected = layout.limit - genes.lowerBound
        guard storedCount == 0, (1...genes.count).contains(collected), layout.counts.count == collected, layout.capacities.count == collected,
            zip(layout.counts, layout.capacities).allSatisfy({ $0 >= 0 && $0 <= $1 })
        else { throw AnalysisError(code: "differential.checkpoint", "a checkpoint's stored values do not fit this analysis; delete the checkpoint to start afresh") }
        while limit > layout.limit {
            limit -= 1
            release(limit - genes.lowerBound)
        }
        for index in 0..<collected where layout.capacities[index] > 0 {
            grow(index, to: layout.capacities[index])
            try fill(UnsafeMutableBufferPointer(start: buffers[index], count: layout.counts[index]))
            counts[index] = layout.counts[index]
            storedCount += layout.counts[index]
        }
    }

    /// Drops the highest genes until the allocated keys fit the budget (one gene is always kept).
    func shrinkToBudget() {
        while allocatedCount > budget && limit > genes.lowerBound + 1 {
            limit -= 1
            release(limit - genes.lowerBound)
        }
    }

    /// Frees every buffer.
    func removeAll() {
        for index in buffers.indices { release(index) }
    }

    private func grow(_ index: Int, to capacity: Int) {
        let buffer = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        if let old = buffers[index] {
            buffer.moveInitialize(from: old, count: counts[index])
            old.deallocate()
        }
        buffers[index] = buffer
        allocatedCount += capacity - capacities[index]
        capacities[index] = capacity
    }

    private func release(_ index: Int) {
        buffers[index]?.deallocate()
        buffers[index] = nil
        storedCount -= counts[index]
        allocatedCount -= capacities[index]
        counts[index] = 0
        capacities[index] = 0
    }
}
