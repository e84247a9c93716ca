import Foundation
public import SluiceFormats
public import SluiceKernels

/// Signature activity from cells × genes files (h5ad, 10x, Matrix Market, Loom), prepared as
/// SecActpy's `secact_activity_inference_scrnaseq` prepares an AnnData — streamed, so the matrix
/// is never held:
///
/// - gene names are `var` names, or the first of the `gene_name`, `feature_name`,
///   `gene_symbol`, `symbol` columns when most names are Ensembl ids; upper-cased and cut at the
///   first `.`; of genes sharing a name the one with the highest mean count stays (an extra pass,
///   only when names repeat);
/// - **pseudobulk** (`Samples.groups`, or `.rows` for a file whose rows already are pseudobulk
///   samples such as `sluice analyze pseudobulk`'s `pseudobulk.h5ad`): counts summed per group,
///   `sum / column total · 1e6`, `log2(x + 1)`, minus each gene's mean over the samples. Groups
///   are ordered by name ignoring case, as SecActpy orders cell types. When the first cells look
///   log-normalised already (values below 20 that are not integers — SecActpy's test), groups
///   are averaged instead and neither scaled nor logged, as SecActpy does;
/// - **single cell** (`Samples.cells`): each cell `x / total · 1e5`, `log2(x + 1)`, minus the
///   gene's mean over all cells (a first streaming pass), then the regression in batches of cells.
///
/// Column totals are over the kept genes. A sample without counts — SecActpy divides by zero
/// there and spreads NaN over every gene's mean — has log values 0 here; a cell without counts
/// is also left out of the gene means and its centred column stays 0, so its activity is 0
/// (β 0, se 0, z 0, p 1) and the other cells are unaffected. Only genes the signature has are kept
/// after the totals, so memory is the signature's genes × samples (× one batch of cells in
/// single-cell mode).
public enum CellActivity {
    /// How the rows of the file become samples.
    public enum Samples: Sendable, Equatable {
        /// Each row already is a sample of counts (a pseudobulk file).
        case rows
        /// Cells summed per combination of these obs labels.
        case groups([String])
        /// Each cell is a sample.
        case cells
    }

    /// Reports (pass name, rows done, rows in the file) as the passes go.
    public typealias Progress = (String, Int, Int) -> Void

    /// The centred log-CPM profile (genes the signature has × samples) of a pseudobulk, ready
    /// for ``SignatureActivity/run(differentialProfile:signature:options:)``.
    public static func pseudobulkProfile(
        _ source: any CellSource, samples: Samples, signatureGenes: Set<String>, chunkSize: Int = 10_000,
        progress: @escaping Progress = { _, _, _ in }
    ) throws -> LabeledMatrix {
        let genes = try Genes(source, signatureGenes: signatureGenes, chunkSize: chunkSize, progress: progress)
        var names: [String] = []
        // Per sample: its total over the kept genes, and the wanted genes' sums (or means).
        var samplesSeen: [(total: Double, wanted: [Double])] = []
        var averaged = false
        var position = [Int](repeating: -1, count: source.geneCount)
        for (row, gene) in genes.wanted.enumerated() { position[gene] = row }
        switch samples {
        case .cells:
            preconditionFailure("single cells are streamed by singleCell(_:signature:options:chunkSize:progress:write:)")
        case .rows:
            for range in source.batchRanges(size: chunkSize) {
                let batch = try source.read(cells: range)
                for row in 0..<batch.matrix.rowCount {
                    let (columns, values) = batch.matrix.row(row)
                    var wanted = [Double](repeating: 0, count: genes.wanted.count)
                    for (column, value) in zip(columns, values) where position[Int(column)] >= 0 {
                        wanted[position[Int(column)]] = Double(value)
                    }
                    samplesSeen.append((genes.total(columns, values), wanted))
                }
                names += batch.obs.index
                progress("reading samples", range.upperBound, source.cellCount)
            }
        case .groups(let by):
            var options = PseudobulkOptions(by: by)
            options.minCells = 0
            options.minCounts = 0
            options.chunkSize = chunkSize
            var aggregator = PseudobulkAggregator(options: options)
            aggregator.progress = { progress("summing cells per group", $0, $1) }
            let result = try aggregator.run(source)
            let order = result.keptGroups.indices.sorted {
                let a = result.keptGroups[$0].name.lowercased(), b = result.keptGroups[$1].name.lowercased()
                return a == b ? $0 < $1 : SignatureActivity.precedes(a, b)
            }
            names = order.map { result.keptGroups[$0].name }
            averaged = try looksNormalized(source)
            for k in order {
                let sums = result.sums[k]
                var total = 0.0
                for gene in sums.indices where genes.kept[gene] { total += sums[gene] }
                let cells = Double(result.keptGroups[k].cells)
                samplesSeen.append((total, genes.wanted.map { averaged ? sums[$0] / cells : sums[$0] }))
            }
        }
        guard !samplesSeen.isEmpty else { throw AnalysisError(code: "activity.no-samples", "\(source.path) has no samples") }
        var profile = LabeledMatrix(
            rows: genes.wanted.map { genes.names[$0] }, columns: names,
            values: [Double](repeating: 0, count: genes.wanted.count * samplesSeen.count))
        for (sample, seen) in samplesSeen.enumerated() {
            for row in genes.wanted.indices {
                profile[row, sample] = averaged ? seen.wanted[row] : logScaled(seen.wanted[row], total: seen.total, scale: 1e6)
            }
        }
        centre(&profile)
        return profile
    }

    /// Single-cell activity: the gene means of `log2(x / total · 1e5 + 1)` in a first pass, then
    /// `chunkSize` cells at a time centred, regressed and handed to `write` with their obs rows.
    /// Returns the model (its genes and signatures).
    ///
    /// With a `checkpoint`, both passes record their state after whole chunks (every
    /// ``AnalysisCheckpoint/interval`` at most) and a rerun resumes there: the first pass's sums,
    /// then the means and the cells done. The second pass keeps each chunk's results in an
    /// ``ActivitySpill`` beside the state (16 bytes × signatures a cell, synced before each
    /// checkpoint) and hands them to `write` once every cell is done, with the same values and
    /// obs rows, chunk by chunk, as without checkpoints. When a `limit` leaves no room for the
    /// spill, the run takes no checkpoints and says so through `note`.
    @discardableResult
    public static func singleCell(
        _ source: any CellSource, signature: LabeledMatrix, options: ActivityOptions, chunkSize: Int = 10_000,
        checkpoint: AnalysisCheckpoint? = nil, note: (String) -> Void = { _ in },
        progress: Progress = { _, _, _ in }, write: (CellBatch, ActivityResult, ActivityModel) throws -> Void
    ) throws -> ActivityModel {
        let signatureGenes = SignatureActivity.genes(of: signature)
        let genes = try Genes(source, signatureGenes: signatureGenes, chunkSize: chunkSize, progress: progress)
        let model = try ActivityModel(profileGenes: genes.wanted.map { genes.names[$0] }, signature: signature, options: options)
        // The model's genes, as columns of the file.
        let columns = model.profileRows.map { genes.wanted[$0] }
        var position = [Int](repeating: -1, count: source.geneCount)
        for (row, gene) in columns.enumerated() { position[gene] = row }
        guard source.cellCount > 0 else { throw AnalysisError(code: "activity.no-samples", "\(source.path) has no cells") }

        // The spill takes its room out of the checkpoints' limit; without room, no checkpoints.
        let spillBytes = ActivitySpill.bytes(cells: source.cellCount, signatures: model.signatures.count)
        var checkpoint = checkpoint
        if let limit = checkpoint?.limit {
            if spillBytes >= limit {
                note("no checkpoints: the results of \(source.cellCount) cells take \(spillBytes) bytes, more than the \(limit) kept for checkpoints")
                checkpoint = nil
            } else {
                checkpoint?.limit = limit - spillBytes
            }
        }
        var sums = [Double](repeating: 0, count: columns.count)
        var expressing = 0
        var means: [Double]?
        var resumeAt = 0
        if let checkpoint, let saved = try checkpoint.load() {
            let phase = try saved.json("phase", as: Int.self)
            resumeAt = try saved.json("cells", as: Int.self)
            if phase == 1 {
                sums = try saved.array("sums")
                expressing = try saved.json("expressing")
            } else {
                means = try saved.array("means")
            }
            guard (means ?? sums).count == columns.count, resumeAt <= source.cellCount, resumeAt % chunkSize == 0 || resumeAt == source.cellCount else {
                throw AnalysisError(code: "activity.checkpoint", "the checkpoint \(checkpoint.file) is inconsistent; delete it to start afresh")
            }
            note("resuming at cell \(resumeAt) of \(source.cellCount), in pass \(phase), from the checkpoint \(checkpoint.file)")
        }
        var lastCheckpoint = ContinuousClock.now
        /// Records the state when the interval has passed (or when `always`).
        func save(phase: Int, cells: Int, always: Bool = false) throws {
            guard let checkpoint, always || ContinuousClock.now - lastCheckpoint >= checkpoint.interval else { return }
            var archive = StateArchive()
            try archive.put("phase", json: phase)
            try archive.put("cells", json: cells)
            if let means { archive.put("means", means) } else { archive.put("sums", sums) }
            try archive.put("expressing", json: expressing)
            _ = try checkpoint.save(archive)
            lastCheckpoint = ContinuousClock.now
        }

        if means == nil {
            for range in source.batchRanges(size: chunkSize) where range.lowerBound >= resumeAt {
                let batch = try source.read(cells: range)
                for cell in 0..<batch.matrix.rowCount {
                    let (genesOfCell, values) = batch.matrix.row(cell)
                    let total = genes.total(genesOfCell, values)
                    guard total > 0 else { continue }
                    expressing += 1
                    for (gene, value) in zip(genesOfCell, values) where position[Int(gene)] >= 0 {
                        sums[position[Int(gene)]] += logScaled(Double(value), total: total, scale: 1e5)
                    }
                }
                progress("gene means", range.upperBound, source.cellCount)
                if range.upperBound < source.cellCount { try save(phase: 1, cells: range.upperBound) }
            }
            means = sums.map { expressing > 0 ? $0 / Double(expressing) : 0 }
            resumeAt = 0
            try save(phase: 2, cells: 0, always: true)
        }
        let centres = means ?? []

        let spill = try checkpoint.map {
            try ActivitySpill(path: $0.sideFile("spill"), signatures: model.signatures.count, keepingCells: resumeAt)
        }
        for range in source.batchRanges(size: chunkSize) where range.lowerBound >= resumeAt {
            let batch = try source.read(cells: range)
            var profile = LabeledMatrix(rows: model.genes, columns: batch.obs.index, values: [Double](repeating: 0, count: columns.count * range.count))
            for cell in 0..<batch.matrix.rowCount {
                let (genesOfCell, values) = batch.matrix.row(cell)
                let total = genes.total(genesOfCell, values)
                guard total > 0 else { continue }
                for row in 0..<columns.count { profile[row, cell] = -centres[row] }
                for (gene, value) in zip(genesOfCell, values) where position[Int(gene)] >= 0 {
                    let row = position[Int(gene)]
                    profile[row, cell] = logScaled(Double(value), total: total, scale: 1e5) - centres[row]
                }
            }
            let result = model.run(profile)
            if let spill {
                try spill.append(result)
                if let checkpoint, ContinuousClock.now - lastCheckpoint >= checkpoint.interval || range.upperBound == source.cellCount {
                    try spill.sync()
                    try save(phase: 2, cells: range.upperBound, always: true)
                }
            } else {
                try write(batch, result, model)
            }
            progress("activity", range.upperBound, source.cellCount)
        }
        // Every cell done: the spilled results go to `write` as they would have, chunk by chunk.
        if let spill {
            for range in source.batchRanges(size: chunkSize) {
                let obs = try source.readCellMetadata(cells: range)
                let empty = SparseRows(offsets: [Int64](repeating: 0, count: range.count + 1), columns: [], values: [], columnCount: source.geneCount)
                try write(CellBatch(cells: range, matrix: empty, obs: obs), try spill.read(cells: range), model)
                progress("writing", range.upperBound, source.cellCount)
            }
        }
        return model
    }

    /// `log2(x / total · scale + 1)` as SecActpy computes it; 0 for an empty sample.
    static func logScaled(_ value: Double, total: Double, scale: Double) -> Double {
        total > 0 ? log2(value / total * scale + 1) : 0
    }

    /// Each row minus its mean over the columns.
    static func centre(_ matrix: inout LabeledMatrix) {
        let width = matrix.columns.count
        for row in 0..<matrix.rows.count {
            var sum = 0.0
            for column in 0..<width { sum += matrix[row, column] }
            let mean = sum / Double(width)
            for column in 0..<width { matrix[row, column] -= mean }
        }
    }

    /// SecActpy's test for data that is log-normalised already: in the first 100 cells and 1,000
    /// genes, every value is below 20 and some non-zero value is not an integer.
    static func looksNormalized(_ source: any CellSource) throws -> Bool {
        guard source.cellCount > 0 else { return false }
        let batch = try source.read(cells: 0..<min(100, source.cellCount))
        var maximum: Float = 0
        var integers = true
        var any = false
        for (column, value) in zip(batch.matrix.columns, batch.matrix.values) where column < 1_000 {
            maximum = max(maximum, value)
            if value != 0 {
                any = true
                if value.rounded() != value { integers = false }
            }
        }
        return any && maximum < 20 && !integers
    }

    /// The file's genes as SecActpy names them, which of them stay, and which the signature has.
    struct Genes {
        /// Standardised names, one per gene of the file.
        let names: [String]
        /// Whether each gene stays (the highest-mean gene of each name).
        let kept: [Bool]
        /// Kept genes the signature has, in file order.
        let wanted: [Int]

        init(_ source: any CellSource, signatureGenes: Set<String>, chunkSize: Int, progress: Progress) throws {
            let names = CellActivity.geneNames(source.genes).map(SignatureActivity.standardizedName)
            var kept = [Bool](repeating: true, count: names.count)
            if Set(names).count < names.count {
                // Names repeat: the gene with the highest total (= mean) count stays, the first on a tie.
                var totals = [Double](repeating: 0, count: names.count)
                for range in source.batchRanges(size: chunkSize) {
                    let batch = try source.read(cells: range)
                    for (gene, value) in zip(batch.matrix.columns, batch.matrix.values) { totals[Int(gene)] += Double(value) }
                    progress("totals of repeated gene names", range.upperBound, source.cellCount)
                }
                var best: [String: Int] = [:]
                for (gene, name) in names.enumerated() {
                    if let current = best[name], !(totals[gene] > totals[current]) { continue }
                    best[name] = gene
                }
                kept = [Bool](repeating: false, count: names.count)
                for gene in best.values { kept[gene] = true }
            }
            self.names = names
            self.kept = kept
            wanted = names.indices.filter { kept[$0] && signatureGenes.contains(names[$0]) }
        }

        /// A cell's total over the kept genes.
        func total(_ genes: ArraySlice<Int32>, _ values: ArraySlice<Float>) -> Double {
            var total = 0.0
            for (gene, value) in zip(genes, values) where kept[Int(gene)] { total += Double(value) }
            return total
        }
    }

    /// var names, or a symbol column when most names are Ensembl ids (SecActpy's rule).
    static func geneNames(_ genes: Frame) -> [String] {
        let ensembl = genes.index.count { $0.hasPrefix("ENSG") || $0.hasPrefix("ENSMUSG") }
        guard ensembl * 2 > genes.rowCount else { return genes.index }
        for name in ["gene_name", "feature_name", "gene_symbol", "symbol"] {
            if let column = genes[name] { return (0..<genes.rowCount).map { column.text(at: $0) ?? "" } }
        }
        return genes.index
    }
}
