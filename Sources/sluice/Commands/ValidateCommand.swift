import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze validate`: how credible each signature's activity is.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check activity results: own-gene expression, pseudobulk vs single cell, expected directions, coverage, stability, a quality score.",
        discussion: """
            Each check runs when its inputs are given (at least one must be):

              sample       --activity A --expression E: each signature's activity against the mean \
            expression of its own gene(s) across the samples both tables have (CytoSig names map to \
            their genes: TNFA → TNF, IL12 → IL12A, IL12B): regression slope, intercept and R², \
            Pearson and Spearman with p-values;
              celltype     --celltype-activity A --celltype-expression E: the same across cell types;
              singlecell   --cell-activity activity.h5ad --cells COUNTS: activity in cells with a \
            count above 0 of the signature's gene(s) (raw when the file has it, else X; --matrix) against cells without (means, difference, Mann–Whitney \
            U, AUC, p); with --group-by, the mean and median single-cell activity per group, set \
            against --celltype-activity (the pseudobulk) across groups: concordance;
              biological   --expected T --celltype-activity A: T has columns signature, cell_type, \
            direction (up/down); a pair agrees when the cell type's activity is above 0 (up) or \
            below (down); each signature's concordance rate;
              coverage     --signature S: the share of each signature's genes present in, and \
            detected by, the counts (else the expression table);
              stability    --signature S with --activity/--expression: the shared genes split into \
            --folds folds (seeded), activity from each fold alone (t-test z), the mean and least \
            Pearson r between folds across samples.

            quality: each check on 0…1 (correlations' positive part, 2·(AUC − 0.5), rates and \
            shares as they are) and their weighted mean over the checks run (weights 0.2 unless \
            --weights sets them, e.g. sample=0.4,stability=0.1). docs/analysis.md gives every \
            column. Writes one table per check and quality into --output as --format tsv (default), \
            csv or parquet, or validation.json with all of them, or validation.h5ad of the groups \
            (groups × signatures: X mean, layers median and pseudobulk).
            """)

    @Option(help: "Activity per sample (signatures × samples, e.g. zscore.tsv).") var activity: String?
    @Option(help: "Expression per sample (genes × samples, or an h5ad of samples × genes), the profile the activity came from.") var expression: String?
    @Option(help: "Activity per cell type (signatures × cell types): the pseudobulk activity.") var celltypeActivity: String?
    @Option(help: "Expression per cell type (genes × cell types, or an h5ad such as pseudobulk_mean.h5ad).") var celltypeExpression: String?
    @Option(help: "Single-cell activity (activity.h5ad of `sluice analyze activity --single-cell`).") var cellActivity: String?
    @Option(help: "The counts of the same cells, in the same order (h5ad, 10x, Matrix Market, Loom).") var cells: String?
    @Option(help: "The counts' matrix to read (X, raw, a layer; default raw when the file has it).") var matrix: String?
    @Option(help: "The obs column grouping the cells (e.g. cell_type).") var groupBy: String?
    @Option(help: "Expected directions: a table with signature, cell_type and direction (up/down).") var expected: String?
    @Option(help: "cytosig, secact, or a signature table (genes × signatures): coverage and stability.") var signature: String?
    @Option(help: "Folder holding CytoSig.tsv.gz and SecAct.tsv.gz.") var signatureDir: String?
    @Option(parsing: .unconditional, help: "Ridge penalty for stability (default 1e4 for cytosig, else 5e5).") var lambda: Double?
    @Option(parsing: .unconditional, help: "Gene folds for stability.") var folds = 5
    @Option(parsing: .unconditional, help: "Seed of the fold split.") var seed: UInt64 = 0
    @Option(help: "Weights of the quality score, e.g. sample=0.4,stability=0.1 (others 0.2).") var weights: String?
    @Option(parsing: .unconditional, help: "Memory for single-cell values, in MiB (more signatures per pass).") var memoryMb = 256
    @Option(parsing: .unconditional, help: "Cells read at a time.") var chunkSize = 10_000
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        guard memoryMb > 0, chunkSize > 0 else { throw ValidationError("--memory-mb and --chunk-size must be positive") }
        if (activity == nil) != (expression == nil) { throw ValidationError("--activity and --expression go together") }
        if (cellActivity == nil) != (cells == nil) { throw ValidationError("--cell-activity and --cells go together") }
        if celltypeExpression != nil, celltypeActivity == nil { throw ValidationError("--celltype-expression needs --celltype-activity") }
        if groupBy != nil, cellActivity == nil { throw ValidationError("--group-by groups the cells of --cell-activity") }
        if let lambda, !(lambda.isFinite && lambda > 0) { throw ValidationError("--lambda must be a positive, finite ridge penalty") }
        guard activity != nil || celltypeActivity != nil || cellActivity != nil else {
            throw ValidationError("give activity to validate: --activity with --expression, --celltype-activity, or --cell-activity with --cells")
        }
    }

    func run() throws {
        let clock = ContinuousClock.now
        var validation = ActivityValidation()
        validation.sampleActivity = try activity.map { try MatrixTable.readTableOrH5AD($0) }
        validation.sampleExpression = try expression.map { try MatrixTable.readTableOrH5AD($0) }
        validation.cellTypeActivity = try celltypeActivity.map { try MatrixTable.readTableOrH5AD($0) }
        validation.cellTypeExpression = try celltypeExpression.map { try MatrixTable.readTableOrH5AD($0) }
        validation.expected = try expected.map(ExpectedDirections.read)
        validation.signature = try signature.map { try MatrixTable.read(try SignatureActivity.signatureFile($0, directory: signatureDir)) }
        validation.activityOptions.lambda = lambda ?? (signature?.lowercased() == "cytosig" ? 1e4 : 5e5)
        validation.folds = folds
        validation.seed = seed
        validation.weights = try weights.map(ValidationScore.weights) ?? [:]
        let display = ProgressDisplay()
        defer { display.clear() }
        if let cellActivity, let cells {
            var counts = try CellSourceOpener.open(cells, matrix: matrix)
            if matrix == nil, let reader = counts as? H5ADReader, reader.hasRaw { counts = try CellSourceOpener.open(cells, matrix: "raw") }
            var singleCells = SingleCellAgreement(activity: try CellSourceOpener.open(cellActivity), counts: counts)
            singleCells.groupBy = groupBy
            singleCells.memoryBudget = memoryMb << 20
            singleCells.chunkSize = chunkSize
            let name = (cells as NSString).lastPathComponent
            singleCells.progress = { done, total in display.update(dataset: name, step: "validate", done: done, total: total) }
            validation.singleCells = singleCells
        }
        let result = try validation.run()
        let tables = result.tables
        try format.exportFormat.write(tables, study: "validation", to: output, matrix: ActivityValidation.matrix)
        let scored = result.scores.filter { !$0.score.isNaN }
        let mean = scored.isEmpty ? Double.nan : scored.reduce(0) { $0 + $1.score } / Double(scored.count)
        try AnalysisReport(
            analysis: "validate",
            counts: [.init("signatures", result.scores.count), .init("tables", tables.count), .init("mean quality", mean)]
        ).write(toFolder: output)
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        print(
            "\(result.scores.count) signatures scored, mean quality \(String(format: "%.3f", mean)); tables \(tables.map(\.name).joined(separator: ", ")) in \(String(format: "%.2f", seconds)) s → \(output)"
        )
    }
}
