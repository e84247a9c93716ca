public import Foundation
public import SluiceFormats
import SluiceKernels

/// Step 2 of `sluice preprocess`: streams a dataset's cells and writes rank-value token chunks.
///
/// Passes over the file, each streaming `chunkSize` cells at a time:
/// 1. quality metrics per cell (kept for later passes: 20 bytes a cell), the cell filter, and the
///    histogram pass of the exact median estimator over normalized values of kept cells;
/// 2. zero or more refine passes and one collect pass, until every token's median is known;
/// 3. tokenization: each kept cell's top genes by median-scaled normalized expression, with its
///    metrics and metadata, one chunk per batch: written to `chunk_0000.parquet`, … and/or
///    handed on (`sluice preprocess run-all` cleans and splits them as they come).
///
/// Each pass reads one batch ahead while the previous one is worked on; the token pass also
/// makes each chunk on the read-ahead thread, so chunk k is written while chunk k + 1 is made.
/// With a ``spillFolder``, only pass 1 reads the source's counts; later passes read them back
/// from the spill.
///
/// Memory: two batches (or, in the token pass, one batch and two chunks), the estimator (640
/// counters per token plus its value budget), and the per-cell metrics — never the whole matrix.
public struct DatasetConverter {
    public struct Result: Sendable, Codable, Hashable {
        public var cells: Int
        public var keptCells: Int
        public var droppedCells: Int
        public var tokensWithMedian: Int
        public var passes: Int
        public var chunkFiles: [String]
        public var meanLength: Double
        /// Medians over kept cells of `n_counts`, `n_genes` and `pct_mito`.
        public var medianCounts: Double
        public var medianGenes: Double
        public var medianPercentMito: Double
        /// Wall seconds of each pass over the cells: the QC and median passes, then the token pass
        /// (`nil` in a step record written before passes were timed).
        public var passSeconds: [Double]?
        /// Stored values that are not whole numbers (only with ``ConvertOptions/allowsNonCounts``;
        /// `nil` in a step record written before they were counted).
        public var nonIntegerValues: Int?
        /// Which matrix was ranked and why (``CountMatrixChoice/reason``).
        public var matrix: String?
        /// The cells spilled when the next batch would have taken the spill past
        /// ``DatasetConverter/spillLimit`` and it was dropped; nil when it was kept or not asked for.
        public var spillDroppedAfter: Int?
        /// How the cells spread over counts, genes and % mito, kept and filtered apart (nil in a
        /// step record written before they were counted).
        public var histograms: QCHistograms?
    }

    private static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }

    /// Cells whose values are gathered (on all cores) before the median estimator takes them:
    /// about 1,000 × 1,600 values × 12 bytes ≈ 20 MB at single-cell densities.
    static let cellsPerGroup = 1024

    public let source: any CellSource
    public let plan: GenePlan
    public let options: ConvertOptions
    /// Where pass 1 keeps the counts it decoded (``SparseRowsSpill``, `counts.spill`, about 2
    /// bytes a non-zero for UMI counts), so later passes read them back instead of inflating and
    /// checking the source again; the file is removed when the run ends. `nil`: every pass
    /// reads the source.
    public var spillFolder: String?
    /// The most bytes the spill may take (inside `sluice run`, what the stage reserved for it).
    /// When the counts need more, the spill is dropped and every later pass reads the source.
    public var spillLimit: Int64 = .max
    /// Which matrix of the file `source` reads and why, for the result.
    public var matrixReason: String?
    /// Called with (phase, cells done, cells in the file).
    public var progress: (String, Int, Int) -> Void = { _, _, _ in }
    /// Where the run records its progress inside its passes, and resumes from; nil: nowhere.
    public var checkpoint: ConvertCheckpoint?
    /// Called once, before any work, when the run resumes from a checkpoint: where it resumes.
    public var resumed: (ConvertCheckpoint.Position) -> Void = { _ in }
    /// Each token's median, given (a corpus's, e.g. Geneformer's `gene_median_dictionary`)
    /// instead of found in this dataset: then one pass over the cells finds their totals and
    /// filter, and the next writes the tokens. Every token of ``plan`` must have one.
    public var fixedMedians: [Int32: Double]?

    public init(source: any CellSource, plan: GenePlan, options: ConvertOptions) {
        self.source = source
        self.plan = plan
        self.options = options
    }

    /// Receives each token chunk (laid out as ``chunkSchema``) and its number, in order.
    public typealias ChunkHandler = (_ chunk: ParquetRowBatch, _ index: Int) throws -> Void

    /// Who takes the token chunks: the handler, and its state for a ``checkpoint`` (the shards it
    /// wrote so far), saved after a chunk was taken and handed back when a run resumes.
    public struct ChunkSink {
        public var take: ChunkHandler
        public var state: () throws -> Data

        public init(take: @escaping ChunkHandler, state: @escaping () throws -> Data = { Data() }) {
            self.take = take
            self.state = state
        }
    }

    /// The layout of the token chunks: ``CorpusColumns`` with the source's cell metadata.
    public var chunkSchema: ParquetSchema { CorpusColumns.schema(metadata: source.cellMetadataSchema) }

    /// Runs every pass. Token chunks are written into `folder` (`chunk_0000.parquet`, …, with
    /// `metadata` in each footer) when it is given, and handed to the sink that `handleChunks`
    /// returns when that is given. `handleChunks` is called once, before the first chunk, with
    /// the metadata columns that hold a value (``MetadataCleaner/hasValue(_:)``) in some kept
    /// cell — so the chunks can be cleaned and split as they are made, without files in between —
    /// and, when the run resumes inside the token pass, the sink's state at the checkpoint (nil
    /// on a fresh start: then whatever an earlier run wrote must go).
    public func run(
        into folder: String?, metadata: [String: String],
        handleChunks: ((_ filledColumns: Set<String>, _ resumed: Data?) throws -> ChunkSink)? = nil
    ) throws -> Result {
        let map = GeneTokenMap(tokenOfGene: plan.tokenOfGene)
        let ranges = source.batchRanges(size: options.chunkSize)
        var totals = [Double](repeating: 0, count: source.cellCount)
        var genesDetected = [Int32](repeating: 0, count: source.cellCount)
        var percentMito = [Double](repeating: 0, count: source.cellCount)
        var keep = [Bool](repeating: false, count: source.cellCount)
        let estimator = NonzeroMedianEstimator(geneCount: map.slotCount, valueBudget: options.medianValueBudget)
        let workers = (0..<CellWorker.defaultCount).map { _ in CellWorker(slotCount: map.slotCount) }

        let schema = chunkSchema
        let metadataNames = schema.columns.dropFirst(CorpusColumns.fixed.count).map(\.name)
        var filledColumns = Set<String>()
        var nonIntegerValues = 0
        var passSeconds: [Double] = []
        var chunkCount = 0
        var files: [String] = []
        var totalLength = 0
        var keptCells = 0
        var medians: [Double?] = []

        // Where the run stands, and where the last checkpoint left it when it resumes.
        var position = ConvertCheckpoint.Position(pass: 0, tokens: false, batches: 0, cells: 0)
        var resumedSink: Data?
        var lastCheckpoint = ContinuousClock.now
        let fingerprint = checkpoint.map {
            "\($0.fingerprint) cells=\(source.cellCount) chunk=\(options.chunkSize) slots=\(map.slotCount) budget=\(options.medianValueBudget)"
        }
        if let checkpoint, let fingerprint, FileManager.default.fileExists(atPath: checkpoint.convertFile) {
            let archive = try StateArchive(contentsOf: checkpoint.convertFile)
            let saved = try archive.json("scalars", as: ConvertCheckpoint.Scalars.self)
            if saved.fingerprint == fingerprint {
                position = saved.position
                filledColumns = Set(saved.filledColumns)
                nonIntegerValues = saved.nonIntegerValues
                passSeconds = saved.passSeconds
                (chunkCount, totalLength, keptCells, files) = (saved.chunkCount, saved.totalLength, saved.keptCells, saved.files)
                resumedSink = saved.sinkState
                let firstPass = position.pass == 0 && !position.tokens
                let cells = firstPass ? archive : try StateArchive(contentsOf: checkpoint.cellsFile)
                let count = firstPass ? position.cells : source.cellCount
                let saved = (
                    totals: try cells.array("totals", of: Double.self), genes: try cells.array("genesDetected", of: Int32.self),
                    mito: try cells.array("percentMito", of: Double.self), keep: try cells.array("keep", of: UInt8.self)
                )
                guard [saved.totals.count, saved.genes.count, saved.mito.count, saved.keep.count].allSatisfy({ $0 == count }) else {
                    throw FormatError(.corruptData, path: checkpoint.cellsFile, "holds the metrics of another number of cells")
                }
                totals.replaceSubrange(0..<count, with: saved.totals)
                genesDetected.replaceSubrange(0..<count, with: saved.genes)
                percentMito.replaceSubrange(0..<count, with: saved.mito)
                keep.replaceSubrange(0..<count, with: saved.keep.map { $0 != 0 })
                if position.tokens {
                    medians = try archive.optionals("medians")
                } else {
                    try estimator.restore(from: archive, prefix: "estimator.")
                }
                resumed(position)
            }
        }
        // A fresh start: what another input or other settings left goes.
        if position.batches == 0, position.pass == 0, !position.tokens { checkpoint?.remove() }

        /// Puts the metrics and verdicts of cells `0..<count` into `archive`.
        func putCells(_ archive: inout StateArchive, count: Int) {
            archive.put("totals", Array(totals[0..<count]))
            archive.put("genesDetected", Array(genesDetected[0..<count]))
            archive.put("percentMito", Array(percentMito[0..<count]))
            archive.put("keep", keep[0..<count].map { $0 ? UInt8(1) : 0 })
        }
        /// Records where the run stands (after a whole batch, its chunk taken).
        func saveCheckpoint(_ sink: ChunkSink?) throws {
            guard let checkpoint, let fingerprint else { return }
            try checkpoint.ensureFolder()
            let firstPass = position.pass == 0 && !position.tokens
            if !firstPass, !FileManager.default.fileExists(atPath: checkpoint.cellsFile) {
                var cells = StateArchive()
                putCells(&cells, count: source.cellCount)
                try cells.write(to: checkpoint.cellsFile)
            }
            var archive = StateArchive()
            try archive.put(
                "scalars",
                json: ConvertCheckpoint.Scalars(
                    fingerprint: fingerprint, position: position, filledColumns: filledColumns.sorted(), nonIntegerValues: nonIntegerValues,
                    passSeconds: passSeconds, chunkCount: chunkCount, totalLength: totalLength, keptCells: keptCells, files: files,
                    sinkState: try sink?.state()))
            if firstPass { putCells(&archive, count: position.cells) }
            if position.tokens {
                archive.put("medians", optionals: medians)
            } else {
                try estimator.save(into: &archive, prefix: "estimator.")
            }
            try archive.write(to: checkpoint.convertFile)
            lastCheckpoint = .now
        }
        /// After batch `range` of the pass: a checkpoint once the interval has passed.
        func batchDone(_ range: Range<Int>, _ sink: ChunkSink? = nil) throws {
            position.batches += 1
            position.cells = range.upperBound
            if let checkpoint, ContinuousClock.now - lastCheckpoint >= checkpoint.interval { try saveCheckpoint(sink) }
        }

        // A run that resumes reads the source on every later pass: the spill of a stopped run
        // does not hold the cells it decoded before its last checkpoint.
        let resumedRun = position.pass > 0 || position.tokens || position.batches > 0
        var spill = try (resumedRun ? nil : spillFolder).map { folder in
            let path = (folder as NSString).appendingPathComponent("counts.spill")
            try? FileManager.default.removeItem(atPath: path)  // left by a run that was killed
            return try SparseRowsSpill(path: path, limit: spillLimit)
        }
        defer { spill?.remove() }
        var spilled: SpilledCells?
        var spillDroppedAfter: Int?

        // Pass 1: metrics, filter, histogram. Later passes: refine/collect until medians are known.
        var passStarted = ContinuousClock.now
        func endPass() {
            let now = ContinuousClock.now
            passSeconds.append((now - passStarted) / .seconds(1))
            passStarted = now
        }
        while !position.tokens {
            let firstPass = position.pass == 0
            let phase = firstPass ? "qc + medians" : "medians"
            let filter = estimator.passFilter
            try (spilled ?? source).forEachBatchReadingAhead(Array(ranges[position.batches...])) { range, batch in
                if firstPass {
                    let metrics = CellQualityMetrics(batch.matrix, mitochondrial: plan.mitochondrial)
                    try checkValues(metrics, batch)
                    nonIntegerValues += metrics.fractionalValueCount
                    for i in 0..<range.count {
                        let cell = range.lowerBound + i
                        totals[cell] = metrics.totalCounts[i]
                        genesDetected[cell] = metrics.genesDetected[i]
                        percentMito[cell] = metrics.percentMitochondrial[i]
                        keep[cell] = options.filter.keeps(metrics, i)
                    }
                }
                let rows = (0..<range.count).filter { keep[range.lowerBound + $0] }
                if firstPass {
                    for (name, column) in zip(metadataNames, batch.obs.columns) where !filledColumns.contains(name) {
                        if MetadataCleaner.hasValue(CorpusColumns.data(column, rows: rows)) { filledColumns.insert(name) }
                    }
                }
                let rowTotals = rows.map { totals[range.lowerBound + $0] }
                let matrix = batch.matrix
                // Workers gather normalized values for groups of cells; the estimator, which
                // groups them by gene, takes them in turn (memory: one group's values).
                for group in stride(from: 0, to: fixedMedians == nil ? rows.count : 0, by: Self.cellsPerGroup) {
                    let groupRows = Array(rows[group..<min(rows.count, group + Self.cellsPerGroup)])
                    let groupTotals = Array(rowTotals[group..<min(rows.count, group + Self.cellsPerGroup)])
                    // Every worker runs, with no cells when there are fewer cells than workers,
                    // so that none keeps pairs from the group before.
                    ParallelFor.run(parts: workers.count) { index in
                        let worker = workers[index]
                        let part = ParallelFor.range(index, of: groupRows.count, parts: workers.count)
                        worker.used = 0
                        let starts = worker.gather(map, matrix, rows: part.lazy.map { groupRows[$0] })
                        worker.values.withUnsafeMutableBufferPointer { values in
                            for (j, cell) in part.enumerated() {
                                let total = groupTotals[cell]
                                for i in starts[j]..<starts[j + 1] { values[i] = RankValueTokenizer.normalized(values[i], total: total) }
                            }
                            worker.slots.withUnsafeMutableBufferPointer { slots in
                                worker.used = filter.keep(
                                    genes: UnsafeMutableBufferPointer(rebasing: slots[0..<worker.used]),
                                    values: UnsafeMutableBufferPointer(rebasing: values[0..<worker.used]))
                            }
                        }
                    }
                    CellWorker.withPairsInUse(workers[...]) { estimator.add($0) }
                }
                if firstPass, let kept = spill, try kept.append(matrix) == nil {
                    spillDroppedAfter = range.lowerBound
                    kept.remove()
                    spill = nil
                }
                progress(phase, range.upperBound, source.cellCount)
                try batchDone(range)
            }
            if firstPass, let spill {
                spilled = SpilledCells(source: source, spill: spill, ranges: ranges, includesMetadata: false)
            }
            let more = fixedMedians == nil && estimator.finishPass()
            endPass()
            position = ConvertCheckpoint.Position(pass: position.pass + 1, tokens: !more, batches: 0, cells: 0)
            if !more { medians = try fixedMedians.map { try Self.medians($0, of: map) } ?? estimator.medians }
            try saveCheckpoint(nil)
        }

        let tokenizer = RankValueTokenizer(
            topGenes: options.topGenes, medians: medians.map { $0 ?? 1 }, tokenOfSlot: map.tokenOfSlot, geneformerOrder: options.geneformerOrder)

        // Last pass: tokens. A fresh start removes the chunks an earlier run left.
        if let folder {
            if position.batches == 0 { try? FileManager.default.removeItem(atPath: folder) }
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        let sink = try handleChunks?(filledColumns, position.batches == 0 ? nil : resumedSink)
        let writerOptions = options.interimWriterOptions(metadata)
        // Each chunk is made on the read-ahead thread right after its batch is read, and written
        // (or handed on) on this one while the next is read and made.
        spilled?.includesMetadata = true
        try (spilled ?? source).forEachBatchPreparingAhead(
            Array(ranges[position.batches...]),
            prepare: { range, batch -> ParquetRowBatch? in
                let rows = (0..<range.count).filter { keep[range.lowerBound + $0] }
                guard !rows.isEmpty else { return nil }
                let rowTotals = rows.map { totals[range.lowerBound + $0] }
                let matrix = batch.matrix
                // Each cell's tokens go straight into the chunk's array, at a place sized by the most
                // it can have (its stored values, at most the top genes); the gaps that cells with
                // fewer leave (unmapped genes, explicit zeros, shared tokens) are closed afterwards.
                var offsets = [0]
                offsets.reserveCapacity(rows.count + 1)
                let places = rows.reduce(into: [0]) { places, row in
                    places.append(places.last! + min(options.topGenes, Int(matrix.offsets[row + 1] - matrix.offsets[row])))
                }
                var lengths = [Int](repeating: 0, count: rows.count)
                var tokens = [Int32](unsafeUninitializedCapacity: places.last!) { buffer, initialized in
                    lengths.withUnsafeMutableBufferPointer { lengths in
                        let (output, lengths) = (SharedPointer(buffer), SharedPointer(lengths))
                        ParallelFor.run(parts: workers.count) { index in
                            for j in ParallelFor.range(index, of: rows.count, parts: workers.count) {
                                lengths[j] = workers[index].writeTokens(tokenizer, map, matrix, row: rows[j], total: rowTotals[j], into: output.base! + places[j])
                            }
                        }
                    }
                    let base = buffer.baseAddress!
                    for j in 0..<rows.count {
                        let end = offsets.last!
                        if end != places[j] {
                            UnsafeMutableRawPointer(base + end).copyMemory(from: base + places[j], byteCount: 4 * lengths[j])
                        }
                        offsets.append(end + lengths[j])
                    }
                    initialized = offsets.last!
                }
                if let wrap = options.wrap { (tokens, offsets) = Self.wrapping(tokens, offsets: offsets, in: wrap) }
                let cells = rows.map { range.lowerBound + $0 }
                var columns = [
                    ParquetColumnData(.string(ParquetStrings(rows.map { batch.obs.index[$0] }))),
                    ParquetColumnData(lists: .int32(tokens), offsets: offsets),
                    ParquetColumnData(.int32(zip(offsets, offsets.dropFirst()).map { Int32($1 - $0) })),
                    ParquetColumnData(.double(cells.map { totals[$0] })),
                    ParquetColumnData(.int32(cells.map { genesDetected[$0] })),
                    ParquetColumnData(.double(cells.map { percentMito[$0] })),
                ]
                columns += batch.obs.columns.map { CorpusColumns.data($0, rows: rows) }
                return ParquetRowBatch(columns)
            },
            then: { range, chunk in
                if let chunk {
                    if let folder {
                        let path = (folder as NSString).appendingPathComponent(String(format: "chunk_%04d.parquet", chunkCount))
                        let writer = try ParquetWriter(path: path, schema: schema, options: writerOptions)
                        try writer.write(chunk)
                        try writer.close()
                        files.append(path)
                    }
                    try sink?.take(chunk, chunkCount)
                    chunkCount += 1
                    totalLength += chunk.columns[1].listOffsets?.last ?? 0
                    keptCells += chunk.rowCount
                }
                progress("tokens", range.upperBound, source.cellCount)
                try batchDone(range, sink)
            })
        endPass()
        let keptIndices = keep.indices.filter { keep[$0] }
        return Result(
            cells: source.cellCount, keptCells: keptCells, droppedCells: source.cellCount - keptCells,
            tokensWithMedian: medians.count { $0 != nil }, passes: position.pass + 1, chunkFiles: files,
            meanLength: keptCells > 0 ? Double(totalLength) / Double(keptCells) : 0,
            medianCounts: Self.median(keptIndices.map { totals[$0] }),
            medianGenes: Self.median(keptIndices.map { Double(genesDetected[$0]) }),
            medianPercentMito: Self.median(keptIndices.map { percentMito[$0] }), passSeconds: passSeconds,
            nonIntegerValues: nonIntegerValues, matrix: matrixReason, spillDroppedAfter: spillDroppedAfter,
            histograms: QCHistograms(counts: totals, genes: genesDetected, percentMito: percentMito, kept: keep))
    }

    /// The given medians of `map`'s slots, in slot order.
    private static func medians(_ given: [Int32: Double], of map: GeneTokenMap) throws -> [Double?] {
        try map.tokenOfSlot.map { token in
            guard let median = given[token], median > 0 else {
                throw PreprocessError(code: "no-median", message: "token \(token) has no positive median in the median table; genes without one are left out when the genes are mapped")
            }
            return median
        }
    }

    /// Each list of `tokens` (cut at `offsets`) between `wrap.first` and `wrap.last`.
    static func wrapping(_ tokens: [Int32], offsets: [Int], in wrap: TokenWrap) -> (tokens: [Int32], offsets: [Int]) {
        var wrapped: [Int32] = []
        wrapped.reserveCapacity(tokens.count + 2 * (offsets.count - 1))
        var newOffsets = [0]
        newOffsets.reserveCapacity(offsets.count)
        for (start, end) in zip(offsets, offsets.dropFirst()) {
            wrapped.append(wrap.first)
            wrapped.append(contentsOf: tokens[start..<end])
            wrapped.append(wrap.last)
            newOffsets.append(wrapped.count)
        }
        return (wrapped, newOffsets)
    }

    /// Rank-value tokens rank counts: a negative, NaN or infinite value is an error naming its
    /// cell and gene; a value with a fraction is one too unless ``ConvertOptions/allowsNonCounts``.
    private func checkValues(_ metrics: CellQualityMetrics, _ batch: CellBatch) throws {
        let row: Int
        let isBad: (Float) -> Bool
        let problem: String
        if let invalid = metrics.firstInvalidCell {
            (row, isBad) = (invalid, { $0.nonNegativeFiniteBit == 0 })
            problem = "the corpus builder needs counts, which are never negative, NaN or infinite"
        } else if !options.allowsNonCounts, let fractional = metrics.fractionalValues.firstIndex(where: { $0 > 0 }) {
            (row, isBad) = (fractional, { $0.wholeBit == 0 })
            problem = "this matrix does not hold raw counts; choose the counts with --matrix (raw or layers/NAME), or pass --allow-non-counts to rank these values anyway"
        } else {
            return
        }
        let matrix = batch.matrix
        let k = (Int(matrix.offsets[row])..<Int(matrix.offsets[row + 1])).first { isBad(matrix.values[$0]) } ?? Int(matrix.offsets[row])
        let gene = Int(matrix.columns[k])
        let geneName = source.genes.index.indices.contains(gene) ? source.genes.index[gene] : "#\(gene)"
        throw FormatError(
            .invalidValue, path: source.path,
            "cell \(batch.cells.lowerBound + row) ('\(batch.obs.index[row])') has the value \(matrix.values[k]) for gene '\(geneName)': \(problem)")
    }
}
