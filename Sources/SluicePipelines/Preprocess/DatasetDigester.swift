public import SluiceFormats
import SluiceKernels

/// One dataset's contribution to corpus-wide gene medians: each gene's normalized non-zero
/// values `(x · 10000) / n_counts` over the cells the filter keeps, counted into a
/// ``SluiceKernels/MedianDigest`` keyed by gene id (genes sharing an id summed first, as the
/// tokenizer sums them). One pass over the cells; memory is one batch and the digest.
public struct DatasetDigester {
    public let source: any CellSource
    /// Each dataset gene's id (``GenePlan/geneIDs(of:column:)``).
    public let ids: [String]
    /// Whether each dataset gene is mitochondrial (for the `pct_mito` filter).
    public let mitochondrial: [Bool]
    public let options: ConvertOptions
    public var relativeError = MedianDigest.defaultRelativeError
    /// Called with (cells done, cells in the file).
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(source: any CellSource, ids: [String], mitochondrial: [Bool], options: ConvertOptions) {
        self.source = source
        self.ids = ids
        self.mitochondrial = mitochondrial
        self.options = options
    }

    public func run() throws -> GeneDigestFile {
        var genes: [String] = []
        var slotOf: [String: Int32] = [:]
        let tokenOfGene: [Int32?] = ids.map { id in
            if let slot = slotOf[id] { return slot }
            slotOf[id] = Int32(genes.count)
            genes.append(id)
            return Int32(genes.count - 1)
        }
        let map = GeneTokenMap(tokenOfGene: tokenOfGene)
        var digest = MedianDigest(genes: map.slotCount, relativeError: relativeError)
        let worker = CellWorker(slotCount: map.slotCount)
        try source.forEachBatchReadingAhead(source.batchRanges(size: options.chunkSize)) { range, batch in
            let metrics = CellQualityMetrics(batch.matrix, mitochondrial: mitochondrial)
            let rows = (0..<range.count).filter { options.filter.keeps(metrics, $0) }
            worker.used = 0
            let starts = worker.gather(map, batch.matrix, rows: rows)
            for (j, row) in rows.enumerated() {
                let total = metrics.totalCounts[row]
                for i in starts[j]..<starts[j + 1] where worker.values[i] > 0 {
                    digest.add(gene: Int(map.tokenOfSlot[Int(worker.slots[i])]), value: RankValueTokenizer.normalized(worker.values[i], total: total))
                }
            }
            progress(range.upperBound, source.cellCount)
        }
        return GeneDigestFile(genes: genes, digest: digest)
    }
}
