import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze scores`: marker-gene scores per cell, averaged per group.
struct ScoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scores",
        abstract: "Marker-gene scores per cell (immune infiltration, T-cell exhaustion, CAF subtypes, or your sets), as scanpy's score_genes.",
        discussion: """
            Each cell's score for a set is the mean of the set's genes minus the mean of its \
            control genes: every gene in the expression bins (--bins, by mean over all cells) its \
            own genes fall in — scanpy's sc.tl.score_genes with ctrl_size at least the bins' size, \
            so no random draw. Streams the file twice (gene means, then scores). --normalize \
            first scales each cell to 10,000 and takes log1p, as scanpy expects log data.

            --markers FILE is a table with the columns set and gene (one row per gene); without \
            it the built-in sets (docs/analysis.md lists them with their sources): leukocytes, \
            t_cells, cd8_t_cells, b_cells, nk_cells, monocytes, dendritic_cells, \
            cytolytic_activity, t_cell_exhaustion, caf_myofibroblastic, caf_inflammatory, \
            caf_antigen_presenting. Writes sets (genes used, missing, controls), groups ([--by \
            columns…,] set, cells, mean, sd) and, with --per-cell, scores.h5ad (cells × sets, \
            the input's obs).
            """)

    @Argument(help: "The cells: h5ad, 10x HDF5, Matrix Market folder or Loom.") var cells: String
    @Option(help: "Marker sets: a table with columns set and gene (default: the built-in sets).") var markers: String?
    @Option(help: "Average the scores per combination of these obs columns' labels (comma-separated).") var by: String?
    @Flag(help: "Normalize each cell to 10,000 counts, then log1p (for raw counts).") var normalize = false
    @Flag(help: "Also write each cell's scores (scores.h5ad).") var perCell = false
    @Option(parsing: .unconditional, help: "Expression bins for the control genes (scanpy's n_bins).") var bins = 25
    @Option(help: "Which matrix to read: X (default), raw, or a layer name.") var matrix: String?
    @Option(parsing: .unconditional, help: "Cells per chunk.") var chunkSize = 10_000
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the outputs (created).") var output: String

    func validate() throws {
        guard bins >= 2 else { throw ValidationError("--bins must be at least 2") }
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        guard format.exportFormat != .h5ad else { throw ValidationError("--format h5ad does not apply to the tables; --per-cell writes scores.h5ad") }
    }

    func run() throws {
        let clock = ContinuousClock.now
        var study = MarkerScores(source: try CellSourceOpener.open(cells, matrix: matrix), markers: try markers.map(MarkerSets.read) ?? .defaults)
        study.normalize = normalize
        study.by = CommaList.items(by)
        study.bins = bins
        study.chunkSize = chunkSize
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        study.cellScoresPath = perCell ? output + "/scores.h5ad" : nil
        let display = ProgressDisplay()
        let name = (cells as NSString).lastPathComponent
        study.progress = { step, done, total in display.update(dataset: name, step: step, done: done, total: total) }
        let result = try study.run()
        try format.exportFormat.write(result.tables, study: "scores", to: output)
        try AnalysisReport(analysis: "scores", counts: [.init("cells", result.cells), .init("sets", result.sets.count)]).write(toFolder: output)
        for note in result.notes { display.line("note: \(note)") }
        let seconds = (ContinuousClock.now - clock) / .seconds(1)
        let peak = ProcessMemory.peakResidentBytes.map { ", peak memory \(ByteCount.format($0))" } ?? ""
        display.line("\(result.sets.count) sets scored over \(result.cells) cells in \(String(format: "%.2f", seconds)) s\(peak) → \(output)")
    }
}
