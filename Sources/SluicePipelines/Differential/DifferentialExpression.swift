import Foundation
import SluiceEngine
public import SluiceFormats
import SluiceKernels

/// Differential expression of each group of cells against the rest (or a reference group), as
/// scanpy's `sc.tl.rank_genes_groups(adata, groupby, method=…, reference=…, tie_correct=…,
/// use_raw=False)` computes it: Wilcoxon rank-sum z-scores (or Welch t statistics), two-sided
/// normal (or t) p-values, Benjamini–Hochberg adjusted p-values and log₂ fold changes of
/// `expm1` of group means.
///
/// Streaming: cells are read `chunkSize` at a time; each batch is normalized (optionally) and its
/// stored values are scattered into per-gene columns (a transpose, 8 bytes per non-zero). When
/// those outgrow `memoryBudget`, the highest genes are dropped and collected by later passes,
/// each over a block of genes that fits. Zeros are never stored: the Wilcoxon kernel ranks only
/// the non-zero values and places the zeros' tie block analytically.
///
/// Per gene, on all cores: sort the stored values (per stratum), sum them per slot, rank, test.
/// The t-tests need only per-slot sums, gathered in the one pass without the transpose.
public struct DifferentialExpression {
    public let source: any CellSource
    public let options: DifferentialOptions
    /// Called with (phase, cells done, cells in the file).
    public var progress: (String, Int, Int) -> Void = { _, _, _ in }
    /// Where a run records its state (every ``AnalysisCheckpoint/interval`` at most) and resumes
    /// from: a Wilcoxon run after each block of genes it tested — the labels, each cell's slot,
    /// each gene's stored-value count and the statistics of the genes done — and, in its first
    /// pass, after a chunk of cells, with the values stored so far in a ``GeneValueSpill`` beside
    /// the state (started at the pass's first checkpoint, while it fits the checkpoint's limit); a t-test in its one pass, after a chunk
    /// of cells — the labels, each cell's slot and the per-slot sums so far. A resumed run skips
    /// what was done before and gives the same result, value for value.
    public var checkpoint: AnalysisCheckpoint?
    /// Called with a sentence when the run resumes from a checkpoint or skips one.
    public var note: (String) -> Void = { _ in }

    public init(source: any CellSource, options: DifferentialOptions) {
        self.source = source
        self.options = options
    }

    /// Reads the file (once, or more when the values outgrow the budget), tests every gene for
    /// every comparison, and adjusts the p-values; throws ``AnalysisError`` for unusable input.
    public func run() throws -> DifferentialResult {
        try checkColumns()
        var lastCheckpoint = ContinuousClock.now
        let geneCount = source.geneCount
        let ranges = source.batchRanges(size: max(1, options.chunkSize))
        var grouping = GroupingColumn(name: options.groupBy)
        var stratification = options.stratify.isEmpty ? nil : Strata(columns: options.stratify)
        var slots = SlotTable()
        var cellSlots = [UInt32](repeating: SlotTable.skipped, count: source.cellCount)
        var nonzeroPerGene = [Int](repeating: 0, count: geneCount)
        let budget = max(1, options.memoryBudget / MemoryLayout<UInt64>.stride)
        // t-tests need only per-slot sums; Wilcoxon needs every gene's values (the transpose).
        let sums = options.method == .wilcoxon ? nil : SlotGeneSums(genes: geneCount)
        let store = GeneValueStore(genes: 0..<(sums == nil ? geneCount : 0), budget: budget)

        let plan: ComparisonPlan
        let statistics: ComparisonStatistics
        var done: Int
        var passes = 1
        var skipped = false
        let checkpoint = self.checkpoint
        // The room kept for checkpoints: the states and, in a Wilcoxon run's first pass, its spill.
        let limit = checkpoint?.limit
        // A Wilcoxon run's first pass keeps the values it stored here from its first checkpoint
        // on, so that a checkpoint inside the pass need not hold them (nil: not started yet, or
        // stopped). `spilling`: whether it may still start (and go on).
        var spill: GeneValueSpill?
        var spilling = sums == nil && checkpoint != nil
        /// Takes up the labels and each cell's slot a checkpoint saved.
        func restoreLabels(_ saved: StateArchive) throws {
            try grouping.restore(saved.json("grouping"))
            if stratification != nil { try stratification?.restore(saved.json("stratification")) }
            slots = try SlotTable(restoring: saved)
            cellSlots = try saved.array("cell-slots")
        }
        /// Writes `archive` with the labels and each cell's slot, unless the state does not fit
        /// twice in the room kept for checkpoints (said once; `position` says after what).
        /// Returns whether it was written.
        @discardableResult
        func save(_ archive: inout StateArchive, into checkpoint: AnalysisCheckpoint, after position: String) throws -> Bool {
            try archive.put("grouping", json: grouping.state)
            if let stratification { try archive.put("stratification", json: stratification.state) }
            slots.save(into: &archive)
            archive.put("cell-slots", cellSlots)
            lastCheckpoint = ContinuousClock.now
            guard try checkpoint.save(archive) == nil else { return true }
            if !skipped {
                skipped = true
                note(
                    "checkpoints skipped after \(position): the state (\(ByteSize.format(Int64(archive.byteCount)))) does not fit twice in the \(ByteSize.format(checkpoint.limit ?? 0)) kept for checkpoints"
                )
            }
            return false
        }
        let saved = try checkpoint?.load()
        // The first pass resumed at this chunk.
        var firstChunk = 0
        if let checkpoint, let saved, let chunksRead = try? saved.json("chunks-read", as: Int.self) {
            try restoreLabels(saved)
            firstChunk = chunksRead
            guard cellSlots.count == source.cellCount, (1..<ranges.count).contains(firstChunk) else {
                throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
            }
            if let sums {
                try sums.restore(from: saved, slotCount: slots.count)
            } else {
                nonzeroPerGene = try saved.array("nonzero-per-gene")
                guard nonzeroPerGene.count == geneCount else {
                    throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
                }
                // The store takes up the values of the chunks read, as the stopped run stored them.
                let kept = try GeneValueSpill(path: checkpoint.sideFile("values"), keepingBytes: try saved.json("spill-bytes"))
                var ignored: [Int] = []
                var chunk = 0
                try kept.replay(
                    into: store,
                    restoring: { chunks in
                        guard chunks <= firstChunk else {
                            throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
                        }
                        chunk = chunks
                    },
                    chunk: { block in
                        guard chunk < firstChunk else {
                            throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
                        }
                        try store.add(block, slots: cellSlots[ranges[chunk]], nonzeroPerGene: &ignored, counting: false, path: kept.path)
                        store.shrinkToBudget()
                        chunk += 1
                    })
                guard chunk == firstChunk else {
                    throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
                }
                spill = kept
            }
            note("resuming after cell \(ranges[firstChunk - 1].upperBound) of \(source.cellCount) from the checkpoint \(checkpoint.file)")
        }
        /// A state without the spill: the cell slots, the labels and each gene's count.
        let stateBytes = Int64(4 * source.cellCount + 8 * geneCount + (1 << 20))
        /// Whether `bytes` more in the spill leave room for two states within the checkpoints'
        /// limit; when not, the pass takes no more checkpoints and says so (after cell `cell`).
        func spillHasRoom(for bytes: Int64, after cell: Int) -> Bool {
            guard let limit, (spill?.byteCount ?? 0) + bytes + 2 * stateBytes > limit else { return true }
            (spill, spilling) = (nil, false)
            note(
                "checkpoints in the first pass stop after cell \(cell): the values it stored take more than the \(ByteSize.format(limit)) kept for checkpoints"
            )
            return false
        }
        /// After a chunk of the first pass: a checkpoint once the interval has passed.
        func passOneCheckpointIfDue(chunksRead: Int) throws {
            guard var checkpoint, chunksRead < ranges.count, ContinuousClock.now - lastCheckpoint >= checkpoint.interval else { return }
            var archive = StateArchive()
            try archive.put("chunks-read", json: chunksRead)
            if let sums {
                sums.save(into: &archive)
            } else {
                // The first checkpoint of the pass: the spill starts with what the store holds.
                if spill == nil, spilling,
                    spillHasRoom(
                        for: GeneValueSpill.bytes(imageOf: store.limit - store.genes.lowerBound, keys: store.storedCount),
                        after: ranges[chunksRead - 1].upperBound)
                {
                    let started = try GeneValueSpill(path: checkpoint.sideFile("values"), keepingBytes: 0)
                    try started.appendImage(of: store, chunks: chunksRead)
                    spill = started
                }
                guard let spill else { return }
                try spill.sync()
                archive.put("nonzero-per-gene", nonzeroPerGene)
                try archive.put("spill-bytes", json: spill.byteCount)
                checkpoint.limit = limit.map { $0 - spill.byteCount }
            }
            try save(&archive, into: checkpoint, after: "cell \(ranges[chunksRead - 1].upperBound)")
        }
        /// Adds a first-pass chunk's stored values to the spill, once started, while they fit beside two states.
        func spillChunk(_ matrix: SparseRows, index: Int) throws {
            guard let current = spill else { return }
            let block = GeneValueSpill.kept(matrix, genes: store.genes.lowerBound..<store.limit)
            guard spillHasRoom(for: GeneValueSpill.bytes(rows: block.rowCount, values: block.values.count), after: ranges[index].lowerBound) else { return }
            try current.append(block)
        }
        if options.method == .wilcoxon, let checkpoint, let saved, (try? saved.json("chunks-read", as: Int.self)) == nil {
            try restoreLabels(saved)
            nonzeroPerGene = try saved.array("nonzero-per-gene")
            done = try saved.json("done")
            passes = try saved.json("passes")
            guard cellSlots.count == source.cellCount, nonzeroPerGene.count == geneCount, done <= geneCount else {
                throw AnalysisError(code: "differential.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
            }
            plan = try ComparisonPlan(
                grouping: grouping, stratification: stratification, slots: slots, options: options, path: source.path)
            statistics = ComparisonStatistics(comparisons: plan.comparisons.count, genes: geneCount)
            try statistics.restore(from: saved)
            note("resuming after gene \(done) of \(geneCount), in pass \(passes + 1), from the checkpoint \(checkpoint.file)")
        } else {
            // Pass 1: labels, slots, and the stored values of as many genes as fit.
            for (index, range) in ranges.enumerated() where index >= firstChunk {
                let batch = try source.read(cells: range)
                let groups = try grouping.numbers(in: batch.obs, path: source.path)
                let strata = try stratification?.numbers(in: batch.obs, path: source.path)
                if index == 0 && grouping.labelsKnownEarly {
                    // Categorical labels are all known now: fail before reading the rest of the file.
                    try checkLabels(grouping)
                }
                for row in 0..<range.count {
                    let stratum = strata?[row] ?? 0
                    if stratum >= 0 { cellSlots[range.lowerBound + row] = slots.addCell(stratum: stratum, group: groups[row]) }
                }
                let matrix = prepared(batch.matrix)
                if let sums {
                    try sums.add(matrix, slots: cellSlots[range], slotCount: slots.count, path: source.path)
                } else {
                    try store.add(matrix, slots: cellSlots[range], nonzeroPerGene: &nonzeroPerGene, counting: true, path: source.path)
                    try spillChunk(matrix, index: index)
                    store.shrinkToBudget()
                }
                try passOneCheckpointIfDue(chunksRead: index + 1)
                progress("reading", range.upperBound, source.cellCount)
            }
            plan = try ComparisonPlan(
                grouping: grouping, stratification: stratification, slots: slots, options: options, path: source.path)
            statistics = ComparisonStatistics(comparisons: plan.comparisons.count, genes: geneCount)
            done = geneCount
            if let sums {
                var tester = GeneTester(plan: plan, slots: slots, method: options.method, tieCorrect: false, effect: options.effect)
                for gene in 0..<geneCount { tester.test(gene: gene, sums: sums, into: statistics) }
            } else {
                test(store, plan: plan, slots: slots, statistics: statistics)
                done = store.limit
                store.removeAll()
            }
        }
        /// After a block of genes is tested: a checkpoint once the interval has passed (or when
        /// `always`); returns whether one was written.
        @discardableResult
        func checkpointIfDue(always: Bool = false) throws -> Bool {
            guard options.method == .wilcoxon, let checkpoint, done < geneCount, always || ContinuousClock.now - lastCheckpoint >= checkpoint.interval
            else { return false }
            var archive = StateArchive()
            archive.put("nonzero-per-gene", nonzeroPerGene)
            try archive.put("done", json: done)
            try archive.put("passes", json: passes)
            statistics.save(into: &archive)
            return try save(&archive, into: checkpoint, after: "gene \(done)")
        }
        // A state after the first pass replaces the last one inside it, whose spill then goes.
        if try checkpointIfDue(always: spill != nil), let spill { try? FileManager.default.removeItem(atPath: spill.path) }
        spill = nil

        // Further passes, one per block of the remaining genes that fits the budget.
        while done < geneCount {
            var end = done + 1
            var held = nonzeroPerGene[done]
            while end < geneCount && held + nonzeroPerGene[end] <= budget {
                held += nonzeroPerGene[end]
                end += 1
            }
            let block = GeneValueStore(genes: done..<end, budget: Int.max, capacities: nonzeroPerGene[done..<end])
            passes += 1
            var ignored: [Int] = []
            for range in ranges {
                let batch = try source.read(cells: range)
                try block.add(prepared(batch.matrix), slots: cellSlots[range], nonzeroPerGene: &ignored, counting: false, path: source.path)
                progress("genes \(done)..<\(end)", range.upperBound, source.cellCount)
            }
            test(block, plan: plan, slots: slots, statistics: statistics)
            done = end
            try checkpointIfDue()
        }

        let comparisons = plan.comparisons.indices.map { index in
            let comparison = plan.comparisons[index]
            let scores = statistics.column(statistics.scores, comparison: index)
            let pValues = statistics.column(statistics.pValues, comparison: index)
            // Highest score first; equal scores in file order (scanpy's argsort leaves them unspecified).
            let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            return DifferentialComparison(
                strata: comparison.stratumLabels, group: comparison.groupLabel, reference: plan.referenceLabel,
                groupCells: comparison.groupCells, referenceCells: comparison.otherCells, scores: scores,
                effects: statistics.column(statistics.effects, comparison: index), pValues: pValues,
                adjustedPValues: FalseDiscoveryRate.benjaminiHochberg(pValues), order: order)
        }
        return DifferentialResult(
            genes: source.genes.index, comparisons: comparisons, stratifiedBy: options.stratify, effect: options.effect, notes: plan.notes,
            passes: passes, cells: source.cellCount)
    }

    /// Fails early, with the columns there are, when `--groupby` or `--stratify` is not in the file.
    private func checkColumns() throws {
        let schema = source.cellMetadataSchema
        for name in [options.groupBy] + options.stratify where !schema.contains(where: { $0.name == name }) {
            let names = schema.map(\.name)
            throw AnalysisError(
                code: "differential.unknown-column",
                "\(source.path) has no cell-metadata column '\(name)' (columns: \(names.isEmpty ? "none" : names.joined(separator: ", ")))")
        }
        if let pairBy = options.pairBy {
            throw AnalysisError(
                code: "differential.pair-cells", "--pair-by \(pairBy) pairs samples, not cells; test a sample-level table (pseudobulk or activity per sample) with --level samples")
        }
        if options.stratify.contains(options.groupBy) {
            throw AnalysisError(code: "differential.same-column", "--stratify and --groupby name the same column '\(options.groupBy)'; stratify by another column")
        }
        if let repeated = options.stratify.first(where: { name in options.stratify.filter { $0 == name }.count > 1 }) {
            throw AnalysisError(code: "differential.same-column", "--stratify names the column '\(repeated)' twice")
        }
        if let clash = options.stratify.first(where: DifferentialTable.header(stratifiedBy: [], effect: options.effect).contains) {
            throw AnalysisError(
                code: "differential.column-name",
                "the stratifying column '\(clash)' has the name of a column of the result table; rename it in the file's obs")
        }
    }

    /// The reference and the selected groups must be labels of the column.
    private func checkLabels(_ grouping: GroupingColumn) throws {
        let known = grouping.orderedNumbers().map { grouping.labels[Int($0)] }
        for (label, what) in (options.reference.map { [($0, "reference")] } ?? []) + (options.groups ?? []).map({ ($0, "group") })
        where grouping.number(ofExisting: label) == nil {
            throw AnalysisError(
                code: "differential.unknown-\(what)",
                "\(what) '\(label)' is not a label of '\(grouping.name)' in \(source.path) (labels: \(known.joined(separator: ", ")))")
        }
    }

    /// The batch's counts as tested: normalized to 10,000 per cell and log1p-transformed when asked.
    private func prepared(_ matrix: SparseRows) -> SparseRows {
        options.normalize ? matrix.logNormalized(threads: options.threads) : matrix
    }

    /// Runs the per-gene tests of the genes `store` holds, on all cores.
    private func test(_ store: GeneValueStore, plan: ComparisonPlan, slots: SlotTable, statistics: ComparisonStatistics) {
        let lower = store.genes.lowerBound
        let count = store.limit - lower
        let threads = max(1, min(options.threads, count))
        let method = options.method
        let tieCorrect = options.tieCorrect
        let effect = options.effect
        ParallelFor.run(parts: threads) { thread in
            var tester = GeneTester(plan: plan, slots: slots, method: method, tieCorrect: tieCorrect, effect: effect)
            for index in stride(from: thread, to: count, by: threads) {
                tester.test(gene: lower + index, column: store.column(index), into: statistics)
            }
        }
        progress("testing", store.limit, source.geneCount)
    }
}
