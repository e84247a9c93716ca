import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze correlate`: activity against continuous covariates of the samples.
struct CorrelateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "correlate",
        abstract: "Correlate activity rows with sample covariates (Pearson/Spearman, partial, BH q-values, binned summaries).",
        discussion: """
            ACTIVITY is a table of signatures × samples (e.g. zscore.tsv from `sluice analyze \
            activity`) or an h5ad of cells × signatures (activity.h5ad of single-cell activity: its \
            X). COVARIATES is a tab-separated table with sample names in its first column and one \
            column per covariate (age, BMI, lab values; empty or NA for missing), or an h5ad whose \
            numeric obs columns are the covariates; for an h5ad ACTIVITY it defaults to that file's \
            own obs (copied there from the input cells). Each \
            signature is correlated with each --columns covariate; --control partials out other \
            covariates (least squares with an intercept; n − 2 − k degrees of freedom). Writes \
            correlations.tsv (signature, covariate, method, r, pvalue, qvalue, n; q-values per \
            covariate and method) and, with --bin age:10, bins.tsv (mean and SD per bin).
            """)

    @Argument(help: "Activity table (signatures × samples) or activity.h5ad (cells × signatures).") var activity: String
    @Option(help: "Covariate table (samples × covariates) or an h5ad's obs (default for an h5ad ACTIVITY: its own obs).")
    var covariates: String?
    @Option(help: "Comma-separated covariates to correlate with.") var columns: String
    @Option(help: "Comma-separated covariates to control for (partial correlation).") var control: String?
    @Option(help: "pearson, spearman or both.") var method = "both"
    @Option(help: "Binned summaries, e.g. age:10,bmi:5.") var bin: String?
    @Option(help: "Folder for the result tables (created).") var output: String

    func run() throws {
        let methods: [CovariateCorrelation.Method]
        switch method {
        case "both": methods = [.pearson, .spearman]
        default:
            guard let one = CovariateCorrelation.Method(rawValue: method) else { throw ValidationError("--method must be pearson, spearman or both") }
            methods = [one]
        }
        let split = { (text: String) in text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        let isH5AD = MatrixTable.isH5AD
        let scores = try MatrixTable.readTableOrH5AD(activity)
        guard let covariatePath = covariates ?? (isH5AD(activity) ? activity : nil) else {
            throw ValidationError("--covariates is needed when ACTIVITY is a table")
        }
        let table = isH5AD(covariatePath) ? try ObsCovariates.table(h5ad: covariatePath) : try MatrixTable.read(covariatePath, lenient: true)
        let rows = try CovariateCorrelation.correlate(
            activity: scores, covariates: table, columns: split(columns),
            controls: control.map(split) ?? [], methods: methods)
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
        var text = "signature\tcovariate\tmethod\tr\tpvalue\tqvalue\tn\n"
        for row in rows { text += "\(row.signature)\t\(row.covariate)\t\(row.method.rawValue)\t\(row.r)\t\(row.pvalue)\t\(row.qvalue)\t\(row.n)\n" }
        try AtomicCommit.write(text, to: output + "/correlations.tsv")
        if let bin {
            var lines = "covariate\tbin\tsignature\tn\tmean\tsd\n"
            for spec in split(bin) {
                let parts = spec.split(separator: ":")
                guard parts.count == 2, let width = Double(parts[1]) else { throw ValidationError("--bin takes COVARIATE:WIDTH, e.g. age:10") }
                for entry in try CovariateCorrelation.bins(activity: scores, covariates: table, covariate: String(parts[0]), width: width) {
                    lines += "\(entry.covariate)\t\(entry.label)\t\(entry.signature)\t\(entry.n)\t\(entry.mean)\t\(entry.sd)\n"
                }
            }
            try AtomicCommit.write(lines, to: output + "/bins.tsv")
        }
        let significant = rows.filter { $0.qvalue < 0.05 }.count
        try AnalysisReport(analysis: "correlate", counts: [.init("correlations", rows.count), .init("q < 0.05", significant)]).write(toFolder: output)
        print("\(rows.count) correlations (\(significant) with q < 0.05) → \(output)/correlations.tsv")
    }
}
