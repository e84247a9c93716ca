import ArgumentParser
import Foundation
import SluiceEngine
import SluiceFormats
import SluicePipelines

/// `sluice analyze response`: how well activities predict a binary outcome.
struct ResponseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "response",
        abstract: "Predict a binary outcome (e.g. treatment response) from activities: L2 logistic regression, cross-validated AUC, importance.",
        discussion: """
            ACTIVITY is a table of signatures × samples (zscore.tsv) or an h5ad of cells × \
            signatures (activity.h5ad, each cell a sample). Labels come from --labels, a \
            tab-separated table with sample names in its first column, or for an h5ad from its own \
            obs: --label-column names the column. With two labels the second by name is positive \
            unless --positive names one; with more, --positive is needed and every other label is \
            negative. The models are scikit-learn's LogisticRegression(C=--c) solved to the \
            optimum and a random forest of --trees trees (Gini, √p features a split, bootstrap); \
            --folds stratified folds (seeded, reproducible: docs/analysis.md) give each one's AUC \
            of the held-out samples. Writes coefficients (feature, coefficient, \
            coefficient_importance = |w| / Σ|w|, forest_importance = impurity decrease, importance \
            = their mean), folds (fold, train, test, auc, forest_auc) and predictions (sample, \
            positive, fold, probability, forest_probability).
            """)

    @Argument(help: "Activity: signatures × samples table, or an h5ad of cells × signatures.") var activity: String
    @Option(help: "Labels table (samples in the first column); default for an h5ad: its own obs.") var labels: String?
    @Option(help: "The column holding each sample's label.") var labelColumn: String
    @Option(help: "The positive label.") var positive: String?
    @Option(name: .customLong("c"), parsing: .unconditional, help: "Inverse regularisation strength (scikit-learn's C).") var c = 1.0
    @Option(parsing: .unconditional, help: "Cross-validation folds.") var folds = 5
    @Option(parsing: .unconditional, help: "Seed of the fold split and the forest.") var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Trees of the random forest beside the regression (0: none).") var trees = 100
    @Option(parsing: .unconditional, help: "Rows each tree's bootstrap draws (scikit-learn's max_samples; default: all), e.g. 10000 for a million cells.")
    var forestSamples: Int?
    @OptionGroup var format: ExportFormatOption
    @Option(help: "Folder for the result tables (created).") var output: String

    func validate() throws {
        try format.requireTables(of: "response")
        guard c > 0, c.isFinite else { throw ValidationError("--c must be positive") }
        guard folds >= 2 else { throw ValidationError("--folds must be at least 2") }
        guard trees >= 0 else { throw ValidationError("--trees must be 0 or more") }
        if let forestSamples, forestSamples < 1 { throw ValidationError("--forest-samples must be at least 1") }
    }

    func run() throws {
        let isH5AD = MatrixTable.isH5AD(activity)
        let features = try MatrixTable.readTableOrH5AD(activity)
        guard let source = labels ?? (isH5AD ? activity : nil) else { throw ValidationError("--labels is needed when ACTIVITY is a table") }
        var study = TreatmentResponse(features: features, labels: try SampleMetadata.labels(source, column: labelColumn, code: "response.labels"))
        study.positive = positive
        study.c = c
        study.folds = folds
        study.seed = seed
        study.trees = trees
        study.samplesPerTree = forestSamples
        let result = try study.run()
        try format.exportFormat.write(result.tables, study: "response", to: output)
        try AnalysisReport(
            analysis: "response",
            counts: [
                .init("samples", result.predictions.count), .init("features", result.coefficients.count), .init("mean AUC", result.meanAUC), .init("mean forest AUC", result.meanForestAUC),
                .init("intercept", result.intercept),
            ]
        ).write(toFolder: output)
        print(
            "\(result.predictions.count) samples (positive: \(result.positiveClass)), \(result.coefficients.count) features: mean AUC \(String(format: "%.3f", result.meanAUC)) (forest \(String(format: "%.3f", result.meanForestAUC))) over \(folds) folds → \(output)"
        )
    }
}
