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

    /// Cells read at a time: a batch's values are held four times over (read, read ahead,
    /// gathered, bucketed), ~100 MB for 2,048 cells at 10 % of 20,000 genes.
    static let cellsPerBatch = 2048

    /// Whole counts below this have their bucket cached per cell.
    static let cachedCounts = 1024

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
        // A cell's counts are mostly a few small whole numbers: each one's bucket is worked out
        // once per cell (the same bucket, computed the same way, as for every value).
        var bucketOfCount = [Int32](repeating: .min, count: Self.cachedCounts)
        var cached: [Int] = []
        // A batch's (gene, bucket) pairs, counted into the digest in one call.
        var genesOfValues: [Int32] = []
        var buckets: [Int32] = []
        let scale = MedianDigest(genes: 0, relativeError: relativeError)
        try source.forEachBatchReadingAhead(source.batchRanges(size: min(options.chunkSize, Self.cellsPerBatch))) { range, batch in
            let metrics = CellQualityMetrics(batch.matrix, mitochondrial: mitochondrial)
            let rows = (0..<range.count).filter { options.filter.keeps(metrics, $0) }
            worker.used = 0
            let starts = worker.gather(map, batch.matrix, rows: rows)
            genesOfValues.removeAll(keepingCapacity: true)
            buckets.removeAll(keepingCapacity: true)
            for (j, row) in rows.enumerated() {
                let total = metrics.totalCounts[row]
                for i in starts[j]..<starts[j + 1] where worker.values[i] > 0 {
                    let value = worker.values[i]
                    genesOfValues.append(map.tokenOfSlot[Int(worker.slots[i])])
                    guard value < Double(Self.cachedCounts), value.rounded(.towardZero) == value else {
                        buckets.append(scale.bucket(of: RankValueTokenizer.normalized(value, total: total)))
                        continue
                    }
                    let count = Int(value)
                    if bucketOfCount[count] == .min {
                        bucketOfCount[count] = scale.bucket(of: RankValueTokenizer.normalized(value, total: total))
                        cached.append(count)
                    }
                    buckets.append(bucketOfCount[count])
                }
                for count in cached { bucketOfCount[count] = .min }
                cached.removeAll(keepingCapacity: true)
            }
            digest.add(genes: genesOfValues, buckets: buckets)
            progress(range.upperBound, source.cellCount)
        }
        return GeneDigestFile(genes: genes, digest: digest)
    }
}
