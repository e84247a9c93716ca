import ArgumentParser
import Foundation
import SluiceEngine
import SluiceKernels
import SluicePipelines

/// `sluice analyze trends`: activity over time, per timepoint and paired by donor.
struct TrendsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trends",
        abstract: "Temporal trends of activity: per timepoint, over all samples, and within each donor.",
        discussion: """
            ACTIVITY is a table of signatures × samples (zscore.tsv of activity per sample) or an \
            h5ad whose rows are samples; --samples names each sample's time, and its donor and \
            strata (first column: the sample names; default for an h5ad: its obs). --time is a \
            number (days, weeks) or a label placed by --order (baseline,week1,week4: times 0, 1, 2).

            Writes timepoints ([strata…,] signature, time, samples, mean, sd) and trends \
            ([strata…,] signature, samples, spearman_rho and spearman_p = scipy's spearmanr(time, \
            activity) over all samples, slope = linregress's; with --donor: donors, donor_slope = \
            the mean of each donor's own least-squares slope, donor_t and donor_p = \
            ttest_1samp(slopes, 0), a trend within donors free of the differences between them; \
            with three times or more, complete_donors, friedman_chi2 and friedman_p = \
            friedmanchisquare over the donors seen at every time; spearman_q, donor_q, friedman_q \
            = Benjamini–Hochberg over the signatures of a stratum). A donor with two samples at \
            one time is an error: stratify by the column that tells them apart.
            """)

    @Argument(help: "Activity: signatures × samples table, or an h5ad of samples × signatures.") var activity: String
    @Option(help: "The samples' metadata table (first column: sample names); default for an h5ad: its obs.") var samples: String?
    @Option(help: "The column holding each sample's time (a number, or a label --order places).") var time: String
    @Option(help: "The time labels in order, comma-separated (their positions are the times).") var order: String?
    @Option(help: "The column naming each sample's donor (pairs the samples of one donor).") var donor: String?
    @Option(help: "Study separately within each combination of these columns' labels (comma-separated).") var stratify: String?
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        try format.requireTables(of: "trends")
    }

    func run() throws {
        let values = try MatrixTable.readTableOrH5AD(activity)
        guard let metadataPath = samples ?? (MatrixTable.isH5AD(activity) ? activity : nil) else {
            throw ValidationError("--samples is needed when ACTIVITY is a table")
        }
        var study = TemporalTrends(values: values, metadata: [:], timeColumn: time)
        study.donorColumn = donor
        study.order = order.map { CommaList.items($0) }
        study.stratify = CommaList.items(stratify)
        study.metadata = try SampleMetadata.read(metadataPath, columns: study.columns, code: "trends.samples")
        let result = try study.run()
        try format.exportFormat.write(result.tables, study: "trends", to: output)
        let rising = result.trends.filter { $0.spearmanQ < 0.05 && $0.spearman.r > 0 }.count
        let falling = result.trends.filter { $0.spearmanQ < 0.05 && $0.spearman.r < 0 }.count
        try AnalysisReport(
            analysis: "trends",
            counts: [.init("samples", result.samples), .init("signatures", values.rows.count), .init("rising (q < 0.05)", rising), .init("falling (q < 0.05)", falling)]
        ).write(toFolder: output)
        for note in result.notes { print("note: \(note)") }
        print("\(values.rows.count) signatures over \(result.samples) samples: \(rising) rising, \(falling) falling with q < 0.05 → \(output)")
    }
}
