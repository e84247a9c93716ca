import Foundation
import SluiceFormats
import SluiceKernels

/// What a `model` stage's built-in model does with a batch of datasets (`sluice model update`
/// and `sluice model embed`, each run in its own process): reads every cell once, in order,
/// into the model's gene statistics and, a chunk of cells at a time, its incremental PCA; or
/// writes each cell's coordinates on the components.
///
/// A cell's values are its counts with genes sharing an id summed, log-normalised as scanpy's
/// `normalize_total(target_sum=1e4)` then `log1p` do: `ln(1 + count · 10000 / total)`, the
/// total over every gene of the cell. Cells whose total is 0 are left out.
public struct ModelUpdate {
    public var model: ModelVersion
    /// The h5ad matrix to read (`X`, `raw`, `layers/NAME`); nil: the counts, as preprocess picks them.
    public var matrix: String?
    /// The var column holding the gene ids; nil: as preprocess picks it.
    public var geneIDColumn: String?
    /// Where CSC and Matrix Market inputs are sorted by cell.
    public var scratchDirectory: String?

    public init(model: ModelVersion) { self.model = model }

    /// Updates the model with every cell of `datasets`, in order: one batch.
    public mutating func apply(_ datasets: [String]) throws {
        let components = model.pca.components
        var pending: (rows: [Double], count: Int)?
        var current: [Double] = []
        var currentCount = 0
        let width = model.features.count
        let chunk = model.chunkSize
        var pca = model.pca
        var genes = model.genes
        var statistics: GeneStatistics? = model.statistics
        for path in datasets {
            try forEachChunk(of: path, genes: &genes, statistics: &statistics) { rows, count, _ in
                current += rows
                currentCount += count
                while currentCount >= chunk {
                    // A full chunk waits until the next one exists: a batch's last chunk, when
                    // smaller than the components, joins it.
                    if let held = pending { try pca.partialFit(held.rows, rows: held.count) }
                    pending = (Array(current[0..<(chunk * width)]), chunk)
                    current.removeFirst(chunk * width)
                    currentCount -= chunk
                }
            }
        }
        model.genes = genes
        model.statistics = statistics!
        if var held = pending {
            if currentCount > 0 && currentCount < components {
                held.rows += current
                held.count += currentCount
                currentCount = 0
            }
            try pca.partialFit(held.rows, rows: held.count)
        }
        if currentCount > 0 {
            guard currentCount >= components else {
                throw ModelError(message: "a batch of \(currentCount) cells is too small for \(components) components: give every batch at least as many cells")
            }
            try pca.partialFit(current, rows: currentCount)
        }
        model.pca = pca
    }

    /// Writes each cell of `dataset` projected on the components to the Parquet file `path`:
    /// `cell_id` and `embedding` (list<float>).
    public func embed(_ dataset: String, to path: String) throws {
        let schema = ParquetSchema([.scalar("cell_id", .string), .list("embedding", of: .float)])
        let writer = try ParquetWriter(path: path, schema: schema)
        do {
            var genes = model.genes
            var statistics: GeneStatistics?
            try forEachChunk(of: dataset, genes: &genes, statistics: &statistics) { rows, count, cells in
                let projected = model.pca.transform(rows, rows: count)
                let k = model.pca.components
                try writer.write(
                    ParquetRowBatch([
                        ParquetColumnData(.string(ParquetStrings(cells))),
                        ParquetColumnData(lists: .float(projected.map(Float.init)), offsets: (0...count).map { $0 * k }),
                    ]))
            }
            try writer.close()
        } catch {
            writer.abort()
            throw error
        }
    }

    /// Reads `path` a source batch at a time and hands `body` the log-normalised feature rows
    /// (row-major, one per cell with a non-zero total), their count and the cells' ids; adds
    /// every gene's values to `statistics` first, when given (`genes` names its slots, and grows
    /// with the dataset's new ones).
    private func forEachChunk(
        of path: String, genes: inout [String], statistics: inout GeneStatistics?, _ body: ([Double], Int, [String]) throws -> Void
    ) throws {
        let choice = try CountMatrixChoice.choose(path, requested: matrix)
        let source = try CellSourceOpener.open(path, matrix: choice.matrix, scratchDirectory: scratchDirectory)
        let ids = try GenePlan.geneIDs(of: source.genes, column: geneIDColumn)
        // Each dataset gene's statistics slot (genes sharing an id share it) and feature column.
        var slotOf = Dictionary(uniqueKeysWithValues: genes.enumerated().map { ($1, $0) })
        var slots: [Int] = []
        for id in ids {
            if let slot = slotOf[id] {
                slots.append(slot)
                continue
            }
            slotOf[id] = genes.count
            slots.append(genes.count)
            genes.append(id)
        }
        statistics?.grow(to: genes.count)
        let measured = Array(Set(slots)).sorted()
        let featureOf = Dictionary(uniqueKeysWithValues: model.features.enumerated().map { ($1, $0) })
        let featureOfSlot = genes.map { featureOf[$0] ?? -1 }
        let width = model.features.count
        var sums = [Double](repeating: 0, count: genes.count)
        var touched: [Int] = []
        // Embedding needs the features' values only; the statistics need every gene's.
        let everyGene = statistics != nil
        // A cell's counts are mostly a few small whole numbers: each one's value is worked out
        // once per cell (the same value, computed the same way).
        var valueOfCount = [Double](repeating: .nan, count: 1024)
        var cached: [Int] = []
        try source.forEachBatchReadingAhead(source.batchRanges(size: 4096)) { _, batch in
            var rows: [Double] = []
            var cells: [String] = []
            var genesOfValues: [Int32] = []
            var values: [Double] = []
            for r in 0..<batch.matrix.rowCount {
                let row = batch.matrix.row(r)
                let total = row.values.reduce(0.0) { $0 + Double($1) }
                guard total > 0 else { continue }
                for (column, value) in zip(row.columns, row.values) {
                    let slot = slots[Int(column)]
                    if sums[slot] == 0 { touched.append(slot) }
                    sums[slot] += Double(value)
                }
                var dense = [Double](repeating: 0, count: width)
                for slot in touched {
                    let sum = sums[slot]
                    sums[slot] = 0
                    let feature = featureOfSlot[slot]
                    guard everyGene || feature >= 0 else { continue }
                    let x: Double
                    if sum < Double(valueOfCount.count), sum >= 0, sum.rounded(.towardZero) == sum {
                        let count = Int(sum)
                        if valueOfCount[count].isNaN {
                            valueOfCount[count] = Foundation.log1p(sum * 10000 / total)
                            cached.append(count)
                        }
                        x = valueOfCount[count]
                    } else {
                        x = Foundation.log1p(sum * 10000 / total)
                    }
                    if x == 0 { continue }
                    genesOfValues.append(Int32(slot))
                    values.append(x)
                    if feature >= 0 { dense[feature] = x }
                }
                for count in cached { valueOfCount[count] = .nan }
                cached.removeAll(keepingCapacity: true)
                touched.removeAll(keepingCapacity: true)
                rows += dense
                cells.append(batch.obs.index[r])
            }
            statistics?.add(cellCount: cells.count, measured: measured, genesOfValues: genesOfValues, values: values)
            try body(rows, cells.count, cells)
        }
    }
}
