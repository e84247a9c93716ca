import Foundation
import SluiceKernels

/// `sluice analyze correlate`: each activity row (signature) against each continuous covariate
/// of the samples — Pearson and/or Spearman, optionally partial (controlling for other
/// covariates), two-sided p-values and Benjamini–Hochberg q-values per covariate and method —
/// plus binned summaries (e.g. activity by age decade).
public enum CovariateCorrelation {
    public enum Method: String, Sendable, CaseIterable { case pearson, spearman }

    public struct Row: Sendable, Equatable {
        public var signature: String
        public var covariate: String
        public var method: Method
        public var r: Double
        public var pvalue: Double
        public var qvalue: Double
        public var n: Int
    }

    public struct Bin: Sendable, Equatable {
        public var covariate: String
        /// `[40, 50)`.
        public var label: String
        public var signature: String
        public var n: Int
        public var mean: Double
        public var sd: Double
    }

    /// - Parameters:
    ///   - activity: signatures × samples.
    ///   - covariates: samples × covariates (numeric; NaN for missing).
    ///   - columns: covariates to correlate with; `controls`: covariates partialled out.
    public static func correlate(
        activity: LabeledMatrix, covariates: LabeledMatrix, columns: [String], controls: [String],
        methods: [Method]
    ) throws -> [Row] {
        let aligned = try align(activity: activity, covariates: covariates, names: columns + controls)
        let controlValues = controls.map { aligned[$0]! }
        var rows: [Row] = []
        for covariate in columns {
            let values = aligned[covariate]!
            for method in methods {
                var group: [Row] = []
                for (index, signature) in activity.rows.enumerated() {
                    let scores = (0..<activity.columns.count).map { activity[index, $0] }
                    let estimate: Correlation.Estimate
                    switch (method, controls.isEmpty) {
                    case (.pearson, true): estimate = Correlation.pearson(scores, values)
                    case (.spearman, true): estimate = Correlation.spearman(scores, values)
                    case (.pearson, false): estimate = Correlation.partial(scores, values, controls: controlValues)
                    case (.spearman, false):
                        // Partial Spearman: the partial correlation of the ranks, ranked over the complete cases.
                        let complete = scores.indices.filter { i in !scores[i].isNaN && !values[i].isNaN && controlValues.allSatisfy { !$0[i].isNaN } }
                        let rank = { (vector: [Double]) in Correlation.ranks(complete.map { vector[$0] }) }
                        estimate = Correlation.partial(rank(scores), rank(values), controls: controlValues.map(rank))
                    }
                    group.append(
                        Row(
                            signature: signature, covariate: covariate, method: method, r: estimate.r,
                            pvalue: estimate.pvalue, qvalue: .nan, n: estimate.n))
                }
                let q = qValues(group.map(\.pvalue))
                for index in group.indices { group[index].qvalue = q[index] }
                rows += group
            }
        }
        return rows
    }

    /// Mean and SD of each signature's activity within bins of `width` of a covariate.
    public static func bins(activity: LabeledMatrix, covariates: LabeledMatrix, covariate: String, width: Double) throws -> [Bin] {
        guard width > 0 else { throw AnalysisError(code: "correlate.bin-width", "the bin width of \(covariate) must be positive") }
        let values = try align(activity: activity, covariates: covariates, names: [covariate])[covariate]!
        var members: [Double: [Int]] = [:]
        for (sample, value) in values.enumerated() where !value.isNaN {
            members[(value / width).rounded(.down) * width, default: []].append(sample)
        }
        var result: [Bin] = []
        for start in members.keys.sorted() {
            let samples = members[start]!
            for (index, signature) in activity.rows.enumerated() {
                let scores = samples.map { activity[index, $0] }
                let mean = scores.reduce(0, +) / Double(scores.count)
                let sd = scores.count > 1 ? (scores.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(scores.count - 1)).squareRoot() : .nan
                result.append(
                    Bin(
                        covariate: covariate, label: "[\(format(start)), \(format(start + width)))", signature: signature,
                        n: scores.count, mean: mean, sd: sd))
            }
        }
        return result
    }

    /// Each named covariate as a vector over the activity's samples (NaN where a sample has no row).
    static func align(activity: LabeledMatrix, covariates: LabeledMatrix, names: [String]) throws -> [String: [Double]] {
        let sampleRows = Dictionary(covariates.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let matched = activity.columns.filter { sampleRows[$0] != nil }.count
        guard matched >= 3 else {
            throw AnalysisError(
                code: "correlate.samples",
                "only \(matched) of the activity's \(activity.columns.count) samples appear in the covariate table's first column")
        }
        var result: [String: [Double]] = [:]
        for name in names {
            guard let column = covariates.columns.firstIndex(of: name) else {
                throw AnalysisError(
                    code: "correlate.unknown-covariate",
                    "no covariate '\(name)' (the table has: \(covariates.columns.joined(separator: ", ")))")
            }
            result[name] = activity.columns.map { sample in sampleRows[sample].map { covariates[$0, column] } ?? .nan }
        }
        return result
    }

    /// Benjamini–Hochberg q-values of the defined p-values; undefined ones (NaN) stay NaN and do
    /// not count in the number of tests.
    static func qValues(_ pvalues: [Double]) -> [Double] {
        let defined = pvalues.indices.filter { !pvalues[$0].isNaN }
        let adjusted = FalseDiscoveryRate.benjaminiHochberg(defined.map { pvalues[$0] })
        var result = [Double](repeating: .nan, count: pvalues.count)
        for (position, index) in defined.enumerated() { result[index] = adjusted[position] }
        return result
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
