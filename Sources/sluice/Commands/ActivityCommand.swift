import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze activity`: SecAct / CytoSig signature activity, as SecActpy computes it.
struct ActivityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "activity",
        abstract: "Infer signaling activity (ridge regression + permutation test), matching SecActpy.",
        discussion: """
            EXPR is either an expression table — tab-separated (plain or .gz), genes in the first \
            column, one column per sample — or a cells × genes file (h5ad, 10x HDF5, Matrix Market \
            folder, Loom) of counts:

              table            unless --differential, each gene's mean across samples (or across \
            --control columns) is subtracted (SecActpy's secact_activity_inference);
              cells --by COL   cells summed per COL label (pseudobulk), counts/total·1e6, \
            log2(x+1), minus each gene's mean (SecActpy's scRNAseq inference, pseudobulk level);
              cells            without --by: each row already is a pseudobulk sample (e.g. \
            pseudobulk.h5ad of `sluice analyze pseudobulk`), prepared the same way;
              cells --single-cell   each cell counts/total·1e5, log2(x+1), minus the gene's mean \
            over all cells (a first streaming pass), then cells in batches of --chunk-size.

            Genes shared with the signature are kept in EXPR's order, both sides z-scored per \
            column, and β = (XᵀX + λI)⁻¹XᵀY is tested against --n-rand permutations of the genes \
            (glibc srand/rand by default, as SecActpy; --rng mt19937 as current R SecAct); \
            --n-rand 0 gives the analytic t-test. Writes beta/se/zscore/pvalue.tsv (signatures × \
            samples) and activity.parquet (one row per signature and sample) into --output; in \
            single-cell mode activity.h5ad (cells × signatures: X = z-score, layers beta, se, \
            pvalue; obs copied from the input).

            --signature cytosig or secact reads CytoSig.tsv.gz / SecAct.tsv.gz from --signature-dir \
            (or $SLUICE_SIGNATURE_DIR): the files the secactpy package ships in secactpy/data/.

            --single-cell --checkpoint-dir DIR records both passes' progress every --checkpoint-every \
            and keeps the results of the cells done in DIR (16 bytes a cell and signature); a run \
            stopped at any moment and started again with the same input and options resumes there, \
            and activity.h5ad is written from them at the end: the same file as without checkpoints.
            """)

    @Argument(help: "Expression table (genes × samples, TSV or TSV.gz) or a cells × genes file of counts.")
    var expression: String
    @Option(help: "cytosig, secact, or a signature table (genes × signatures).") var signature: String
    @Option(help: "Folder holding CytoSig.tsv.gz and SecAct.tsv.gz.") var signatureDir: String?
    @Option(help: "Folder for the results (created).") var output: String
    @Option(help: "Folder for scratch files of CSC and Matrix Market inputs (default: the system temporary folder).") var scratch: String?
    @Flag(help: "The profile is already a difference or logFC: use it as given (tables only).") var differential = false
    @Option(help: "Comma-separated control columns whose mean is subtracted (tables only).") var control: String?
    @Option(help: "Cells file: sum cells per label of these obs columns (comma-separated) into pseudobulk samples.")
    var by: String?
    @Flag(help: "Cells file: the activity of every cell.") var singleCell = false
    @Option(help: "Cells file: the matrix to read (X, raw, a layer; default raw when the file has it, as SecActpy).")
    var matrix: String?
    @Option(parsing: .unconditional, help: "Cells file: cells read (and, in single-cell mode, regressed) at a time.") var chunkSize = 10_000
    @Option(parsing: .unconditional, help: "Ridge penalty (default 5e5 for secact and files, 1e4 for cytosig).") var lambda: Double?
    @Option(parsing: .unconditional, help: "Permutations (0: t-test).") var nRand = 1_000
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt32 = 0
    @Option(help: "srand (glibc, SecActpy's default) or mt19937.") var rng = "srand"
    @Option(parsing: .unconditional, help: "Samples per batch (tables and pseudobulk).") var batchSize = 1_000
    @Option(help: "Merge signatures correlated at ≥ 0.9 (yes/no; default yes except for cytosig, as SecActpy).")
    var groupSignatures: String?

    @OptionGroup var features: FeatureTypesOption
    @OptionGroup var checkpoints: CheckpointOption

    func validate() throws {
        if singleCell, by != nil { throw ValidationError("--by and --single-cell exclude each other") }
        if checkpoints.checkpointDir != nil, !singleCell { throw ValidationError("--checkpoint-dir applies to --single-cell") }
        guard chunkSize > 0, batchSize > 0 else { throw ValidationError("--chunk-size and --batch-size must be positive") }
        guard nRand >= 0 else { throw ValidationError("--n-rand must be 0 or more") }
        if let lambda, !(lambda.isFinite && lambda > 0) {
            throw ValidationError("--lambda must be a positive, finite ridge penalty (e.g. 1e4 or 5e5), not \(lambda)")
        }
    }

    func run() throws {
        let options = try activityOptions()
        let clock = ContinuousClock.now
        let signatureTable = try MatrixTable.read(try SignatureActivity.signatureFile(signature, directory: signatureDir))
        let cells = try? FormatDetector.detect(expression)
        let summary: String
        switch cells {
        case .h5ad?, .tenXHDF5?, .matrixMarket?, .loom?:
            guard !differential, control == nil else {
                throw ValidationError("--differential and --control apply to expression tables; a cells file is prepared as SecActpy's scRNAseq inference does")
            }
            summary = try runOnCells(signature: signatureTable, options: options)
        default:
            guard by == nil, !singleCell, matrix == nil else {
                throw ValidationError("--by, --single-cell and --matrix apply to cells files (h5ad, 10x, Matrix Market, Loom); \(expression) is read as a table")
            }
            let profile = try SignatureActivity.readProfile(expression, for: signatureTable)
            let tables = try SignatureActivity.run(expression: profile, signature: signatureTable, options: options)
            try ActivityOutput.write(tables, to: output)
            try report(signatures: tables.beta.rows.count, samples: ("samples", tables.beta.columns.count), genes: tables.genes.count)
            summary = "\(tables.beta.rows.count) signatures × \(tables.beta.columns.count) samples from \(tables.genes.count) shared genes"
        }
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        print("\(summary), \(nRand) permutations, in \(String(format: "%.2f", seconds)) s → \(output)")
    }

    /// Pseudobulk or single-cell activity of a cells × genes file; returns the summary line.
    private func runOnCells(signature: LabeledMatrix, options: ActivityOptions) throws -> String {
        var source = try CellSourceOpener.open(expression, matrix: matrix, scratchDirectory: scratch, features: features.selection)
        if matrix == nil, let reader = source as? H5ADReader, reader.hasRaw {
            source = try CellSourceOpener.open(expression, matrix: "raw", scratchDirectory: scratch, features: features.selection)
        }
        let display = ProgressDisplay()
        let name = (expression as NSString).lastPathComponent
        let progress: CellActivity.Progress = { step, done, total in display.update(dataset: name, step: step, done: done, total: total) }
        defer { display.clear() }
        if singleCell {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            var writer: CellActivityWriter?
            // Everything that changes the results or the chunks.
            let settings = [
                self.signature, signatureDir ?? "", matrix ?? "", "\(chunkSize)", "\(options.lambda)", "\(nRand)", "\(seed)", rng,
                "\(options.groupSignatures)", features.featureTypes ?? "",
            ]
            let checkpoint = checkpoints.checkpoint(name: "activity", input: expression, settings: settings)
            let model = try CellActivity.singleCell(
                source, signature: signature, options: options, chunkSize: chunkSize, checkpoint: checkpoint, note: { display.line($0) },
                progress: progress
            ) { batch, result, model in
                if writer == nil {
                    writer = try CellActivityWriter(path: output + "/activity.h5ad", model: model, cellSchema: source.cellMetadataSchema)
                }
                try writer!.append(batch, result)
            }
            try writer?.close()
            checkpoint?.remove()
            try report(signatures: model.reported.count, samples: ("cells", source.cellCount), genes: model.genes.count)
            return "\(model.reported.count) signatures × \(source.cellCount) cells from \(model.genes.count) shared genes"
        }
        let samples: CellActivity.Samples = by.map { .groups($0.split(separator: ",").map(String.init)) } ?? .rows
        let profile = try CellActivity.pseudobulkProfile(
            source, samples: samples, signatureGenes: SignatureActivity.genes(of: signature), chunkSize: chunkSize, progress: progress)
        let tables = try SignatureActivity.run(differentialProfile: profile, signature: signature, options: options)
        try ActivityOutput.write(tables, to: output)
        try report(signatures: tables.beta.rows.count, samples: (by == nil ? "samples" : "groups", tables.beta.columns.count), genes: tables.genes.count)
        let what = by.map { "pseudobulk groups by \($0)" } ?? "pseudobulk samples"
        return "\(tables.beta.rows.count) signatures × \(tables.beta.columns.count) \(what) from \(tables.genes.count) shared genes"
    }

    /// Writes `report.json` beside the outputs: what was scored, by how many signatures, from
    /// how many genes the expression and the signatures share.
    private func report(signatures: Int, samples: (name: String, count: Int), genes: Int) throws {
        let counts: [AnalysisReport.Count] = [
            .init(samples.name, samples.count), .init("signatures", signatures), .init("shared genes", genes), .init("permutations", nRand),
        ]
        try AnalysisReport(analysis: "activity", counts: counts).write(toFolder: output)
    }

    private func activityOptions() throws -> ActivityOptions {
        guard let source = ActivityOptions.RandomSource(rawValue: rng) else {
            throw ValidationError("--rng must be srand or mt19937")
        }
        var options = ActivityOptions()
        options.permutations = nRand
        options.seed = seed
        options.random = source
        options.differential = differential
        options.controlColumns = control.map { $0.split(separator: ",").map(String.init) } ?? []
        options.batchSize = batchSize
        switch groupSignatures?.lowercased() {
        case nil: options.groupSignatures = signature.lowercased() != "cytosig"
        case "yes", "true": options.groupSignatures = true
        case "no", "false": options.groupSignatures = false
        default: throw ValidationError("--group-signatures must be yes or no")
        }
        options.lambda = lambda ?? (signature.lowercased() == "cytosig" ? 1e4 : 5e5)
        return options
    }
}
