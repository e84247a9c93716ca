public import SluiceKernels

/// How well each signature's activity follows the expression of its own gene(s) across the
/// columns of two tables — samples (pseudobulk per sample) or cell types (pseudobulk per cell
/// type): a cytokine's response should be strongest where the cytokine is made. The expression
/// of a signature is the mean of its genes' rows (``SignatureGenes``) that the expression table
/// has; the statistics are scipy's `linregress(expression, activity)` (slope, intercept, R² =
/// r², which is 0 for a constant activity and undefined for a constant expression), `pearsonr`
/// and `spearmanr` (undefined when either is constant) over the columns both tables share,
/// pairs with a missing value left out.
public enum ExpressionAgreement {
    public struct Row: Sendable, Equatable {
        public var signature: String
        /// The signature's genes found in the expression table, in the order ``SignatureGenes`` gives.
        public var genes: [String]
        public var n: Int
        public var slope: Double
        public var intercept: Double
        public var r2: Double
        public var pearson: Correlation.Estimate
        public var spearman: Correlation.Estimate
    }

    /// - Parameters:
    ///   - activity: signatures × columns (e.g. `zscore.tsv`).
    ///   - expression: genes × columns, the profile the activity was inferred from.
    public static func compute(activity: LabeledMatrix, expression: LabeledMatrix) throws -> [Row] {
        let expressionColumns = Dictionary(expression.columns.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let shared = activity.columns.indices.compactMap { column in expressionColumns[activity.columns[column]].map { (column, $0) } }
        guard shared.count >= 3 else {
            throw AnalysisError(
                code: "validate.columns",
                "the activity and expression tables share \(shared.count) column names; at least 3 are needed (\(AnalysisError.sample(activity.columns)) against \(AnalysisError.sample(expression.columns)))"
            )
        }
        let profile = SignatureActivity.standardizedGenes(expression)
        let geneRows = Dictionary(profile.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        return activity.rows.enumerated().map { index, signature in
            let genes = SignatureGenes.genes(of: signature).filter { geneRows[$0] != nil }
            let scores = shared.map { activity[index, $0.0] }
            let level = shared.map { _, column in
                genes.isEmpty ? Double.nan : genes.reduce(0.0) { $0 + profile[geneRows[$1]!, column] } / Double(genes.count)
            }
            let pearson = Correlation.pearson(level, scores)
            let (slope, intercept) = LeastSquares.line(x: level, y: scores)
            // linregress: a flat line (slope 0) explains none of a constant activity.
            let r2 = slope == 0 && pearson.r.isNaN ? 0 : pearson.r * pearson.r
            return Row(
                signature: signature, genes: genes, n: pearson.n, slope: slope, intercept: intercept, r2: r2,
                pearson: pearson, spearman: Correlation.spearman(level, scores))
        }
    }
}
