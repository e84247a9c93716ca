import ArgumentParser
import Foundation
import SluiceEngine
import SluicePipelines

/// `sluice analyze drivers`: the cell types that drive a disease signal.
struct DriversCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drivers",
        abstract: "The cell types that drive each disease signal, ranked by their contribution.",
        discussion: """
            DIFFERENTIAL is a table of `sluice analyze differential … --stratify CELL_TYPE_COLUMN` \
            (each disease against the reference within each cell type). Per disease and \
            signature, each cell type's contribution = weight × effect, the weight its mean \
            proportion in the disease's samples from --composition (the samples table of `sluice \
            analyze composition`, whose condition names the disease) or 1 without it. Writes \
            drivers ([strata…,] group, signature, rank by |contribution|, cell_type, effect, \
            qvalue, weight, contribution, share = |contribution| / Σ|contributions|, agrees = \
            whether it moves the way the sum does).
            """)

    @Argument(help: "A differential table stratified by cell type (differential.tsv).") var differential: String
    @Option(help: "The stratifying column that names the cell type.") var cellTypeColumn = "cell_type"
    @Option(help: "A composition samples table (sample, condition, cell_type, proportion) weighting each cell type.") var composition: String?
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result table (created).") var output: String

    func validate() throws {
        try format.requireTables(of: "drivers")
    }

    func run() throws {
        var study = DrivingCellTypes()
        study.cellTypeColumn = cellTypeColumn
        study.weights = try composition.map(DrivingCellTypes.weights(fromComposition:))
        let result = try study.run(try DifferentialRows.read(differential, code: "drivers.input"))
        try format.exportFormat.write([result.table], study: "drivers", to: output)
        let signals = result.rows.filter { $0.rank == 1 }.count
        try AnalysisReport(analysis: "drivers", counts: [.init("signals", signals), .init("rows", result.rows.count)]).write(toFolder: output)
        for note in result.notes { print("note: \(note)") }
        print("\(signals) disease signals ranked over their cell types → \(output)")
    }
}
