import ArgumentParser
import Foundation
import SluiceEngine
import SluicePipelines

/// `sluice analyze programs`: signals shared across diseases.
struct ProgramsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "programs",
        abstract: "Programs shared across diseases: signatures that change the same way in several, and how alike the diseases are.",
        discussion: """
            DIFFERENTIAL is a table of `sluice analyze differential` with each disease against the \
            healthy reference (group = the disease; sample level or cells, e.g. --effect \
            activity-diff on activity); the columns before group are strata, studied apart. \
            Writes programs ([strata…,] signature, diseases, up and down = diseases with q < \
            --alpha and a positive or negative effect, direction = the one most share (mixed when \
            tied, none without), mean_effect, stouffer_z = Σ sign(effect)·Φ⁻¹(1 − p/2) / √k over \
            the diseases, stouffer_p, stouffer_q (BH over the signatures), shared = yes when at \
            least --min-diseases go the same way) and similarity ([strata…,] disease, other, n, \
            spearman_rho, spearman_p of the two diseases' effects over the signatures both have).
            """)

    @Argument(help: "A differential table (differential.tsv).") var differential: String
    @Option(parsing: .unconditional, help: "q-value below which a disease's change counts.") var alpha = 0.05
    @Option(parsing: .unconditional, help: "Diseases that must share a direction for a shared program.") var minDiseases = 2
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be between 0 and 1") }
        guard minDiseases >= 1 else { throw ValidationError("--min-diseases must be at least 1") }
        try format.requireTables(of: "programs")
    }

    func run() throws {
        var study = SharedPrograms()
        study.alpha = alpha
        study.minDiseases = minDiseases
        let result = try study.run(try DifferentialRows.read(differential, code: "programs.input"))
        try format.exportFormat.write(result.tables, study: "programs", to: output)
        let shared = result.programs.filter(\.shared).count
        try AnalysisReport(analysis: "programs", counts: [.init("signatures", result.programs.count), .init("shared programs", shared)]).write(toFolder: output)
        print("\(result.programs.count) signatures, \(shared) shared by ≥ \(minDiseases) diseases → \(output)")
    }
}
