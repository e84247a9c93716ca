import ArgumentParser
import Foundation
import SluiceEngine
import SluicePipelines

/// `sluice analyze specificity`: the tau index of each signature across organs or cell types.
struct SpecificityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "specificity",
        abstract: "Organ (or cell-type) specificity of each signature's activity: the tau index.",
        discussion: """
            ACTIVITY is a table of signatures × organs (or cell types, conditions), e.g. zscore.tsv \
            of `sluice analyze activity … --by organ`. Each row is shifted by its minimum, then \
            τ = Σ(1 − x/max x) / (n − 1) (Yanai et al. 2005): 0 for the same activity everywhere, 1 \
            for activity in one column only. Writes specificity (signature, columns, tau, top, \
            top_activity).
            """)

    @Argument(help: "Activity table: signatures × organs.") var activity: String
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result table (created).") var output: String

    func validate() throws {
        try format.requireTables(of: "specificity")
    }

    func run() throws {
        let rows = SignatureSpecificity.compute(try MatrixTable.read(activity))
        try format.exportFormat.write([SignatureSpecificity.table(rows)], study: "specificity", to: output)
        let specific = rows.filter { $0.tau >= 0.8 }.count
        try AnalysisReport(analysis: "specificity", counts: [.init("signatures", rows.count), .init("tau ≥ 0.8", specific)]).write(toFolder: output)
        print("\(rows.count) signatures, \(specific) with tau ≥ 0.8 → \(output)")
    }
}
