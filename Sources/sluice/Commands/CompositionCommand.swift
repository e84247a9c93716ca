import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluiceKernels
import SluicePipelines

/// `sluice analyze composition`: cell-type proportions per sample and their change between conditions.
struct CompositionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "composition",
        abstract: "Cell-type composition per sample and its change between conditions (CLR + Mann–Whitney).",
        discussion: """
            Reads only the cells' metadata (obs), streamed. Writes samples (per sample and cell \
            type: cells, proportion, centred log-ratio) and, with --condition, tests: per cell type \
            and each condition against --reference (default: the first condition by name), the \
            mean proportions and their log2 ratio, the difference of mean CLR, and a two-sided \
            Mann–Whitney test of the samples' CLR values with BH q-values per condition. Why CLR \
            and a rank test: proportions sum to 1, so one type's rise pushes the others' \
            proportions down; log-ratios to the sample's geometric mean do not, and with few \
            samples a rank test asks least of their distribution (docs/analysis.md).
            """)

    @Argument(help: "A cells file (h5ad, 10x, Loom) with obs columns for sample and cell type.") var cells: String
    @Option(help: "The obs column naming each cell's sample.") var sample = "sample"
    @Option(help: "The obs column naming each cell's type.") var cellType = "cell_type"
    @Option(help: "The obs column naming each sample's condition (constant within a sample).") var condition: String?
    @Option(help: "The condition the others are compared with.") var reference: String?
    @Option(parsing: .unconditional, help: "Added to every count before the log-ratio.") var pseudocount = 0.5
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        guard pseudocount > 0, pseudocount.isFinite else { throw ValidationError("--pseudocount must be above 0") }
        if reference != nil, condition == nil { throw ValidationError("--reference needs --condition") }
    }

    func run() throws {
        var study = CellTypeComposition(source: try CellSourceOpener.open(cells))
        study.sampleColumn = sample
        study.cellTypeColumn = cellType
        study.conditionColumn = condition
        study.reference = reference
        study.pseudocount = pseudocount
        let result = try study.run()
        try format.exportFormat.write(result.tables, study: "composition", to: output, matrix: CellTypeComposition.matrix)
        let samples = Set(result.samples.map(\.sample)).count
        let significant = result.tests.filter { $0.qvalue < 0.05 }.count
        try AnalysisReport(
            analysis: "composition",
            counts: [.init("cells", result.cells), .init("cells without labels", result.unlabeled), .init("samples", samples), .init("tests with q < 0.05", significant)]
        ).write(toFolder: output)
        print("\(result.cells) cells in \(samples) samples, \(Set(result.samples.map(\.cellType)).count) cell types; \(result.tests.count) tests, \(significant) with q < 0.05 → \(output)")
    }
}
