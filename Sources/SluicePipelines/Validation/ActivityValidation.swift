import SluiceKernels

/// `sluice analyze validate`: how credible each signature's activity is, from the checks its
/// inputs allow — own-gene expression against activity across samples and across cell types
/// (``ExpressionAgreement``), single-cell activity against its pseudobulk and in expressing
/// against non-expressing cells (``SingleCellAgreement``), expected directions
/// (``ExpectedDirections``), gene coverage (``GeneCoverage``), stability across gene folds
/// (``FoldStability``) — and a quality score per signature (``ValidationScore``).
public struct ActivityValidation {
    /// Signatures × samples and genes × samples (the sample-level check, and stability).
    public var sampleActivity: LabeledMatrix?
    public var sampleExpression: LabeledMatrix?
    /// Signatures × cell types and genes × cell types (the cell-type check, expected
    /// directions, and the pseudobulk the single cells are set against).
    public var cellTypeActivity: LabeledMatrix?
    public var cellTypeExpression: LabeledMatrix?
    /// The single-cell checks (their groups: `groupBy`).
    public var singleCells: SingleCellAgreement?
    public var expected: [ExpectedDirections.Expectation]?
    /// Genes × signatures: gene coverage, and (with sample tables) stability.
    public var signature: LabeledMatrix?
    public var activityOptions = ActivityOptions()
    public var folds = 5
    public var seed: UInt64 = 0
    public var weights: [ValidationScore.Check: Double] = [:]

    public struct Result: Sendable {
        public var sample: [ExpressionAgreement.Row]?
        public var cellType: [ExpressionAgreement.Row]?
        public var singleCell: SingleCellAgreement.Result?
        public var expected: (pairs: [ExpectedDirections.Pair], rates: [ExpectedDirections.Rate])?
        public var coverage: [GeneCoverage.Row]?
        public var stability: [FoldStability.Row]?
        public var scores: [ValidationScore] = []
    }

    public init() {}

    public func run() throws -> Result {
        var result = Result()
        if let sampleActivity, let sampleExpression {
            result.sample = try ExpressionAgreement.compute(activity: sampleActivity, expression: sampleExpression)
        }
        if let cellTypeActivity, let cellTypeExpression {
            result.cellType = try ExpressionAgreement.compute(activity: cellTypeActivity, expression: cellTypeExpression)
        }
        if var singleCells {
            if singleCells.pseudobulk == nil, singleCells.groupBy != nil { singleCells.pseudobulk = cellTypeActivity }
            result.singleCell = try singleCells.run()
        }
        if let expected {
            guard let cellTypeActivity else {
                throw AnalysisError(code: "validate.expected", "expected directions are checked against cell-type activity: give it too")
            }
            result.expected = ExpectedDirections.compare(expected, cellTypeActivity: cellTypeActivity)
        }
        if let signature {
            // The genes the data measured: the single cells' counts, else a pseudobulk table.
            let genes =
                result.singleCell.map { ($0.presentGenes, $0.detectedGenes) }
                ?? (sampleExpression ?? cellTypeExpression).map(GeneCoverage.genes(of:))
            if let (present, detected) = genes { result.coverage = GeneCoverage.compute(signature: signature, present: present, detected: detected) }
            if let sampleExpression {
                result.stability = try FoldStability.compute(
                    expression: sampleExpression, signature: signature, options: activityOptions, folds: folds, seed: seed)
            }
        }
        result.scores = scores(result)
        return result
    }

    /// Every signature any check reported on (in the order they first appear), scored.
    private func scores(_ result: Result) -> [ValidationScore] {
        var order: [String] = []
        var checks: [String: [ValidationScore.Check: Double]] = [:]
        func record(_ check: ValidationScore.Check, _ signature: String, _ value: Double) {
            if checks[signature] == nil { order.append(signature) }
            checks[signature, default: [:]][check] = value
        }
        for row in result.sample ?? [] { record(.sample, row.signature, ValidationScore.positive(row.spearman.r)) }
        for row in result.cellType ?? [] { record(.celltype, row.signature, ValidationScore.positive(row.spearman.r)) }
        for row in result.singleCell?.concordance ?? [] { record(.concordance, row.signature, ValidationScore.positive(row.meanPearson.r)) }
        for row in result.singleCell?.expressing ?? [] { record(.singlecell, row.signature, ValidationScore.aboveChance(row.test.auc)) }
        for rate in result.expected?.rates ?? [] { record(.biological, rate.signature, rate.rate) }
        // Coverage and stability cover every signature of the matrix: only those another check saw.
        let seen = Set(order)
        for row in result.coverage ?? [] where seen.isEmpty || seen.contains(row.signature) { record(.coverage, row.signature, row.detectedShare) }
        for row in result.stability ?? [] where seen.isEmpty || seen.contains(row.signature) {
            record(.stability, row.signature, ValidationScore.positive(row.meanR))
        }
        return order.map { ValidationScore(signature: $0, checks: checks[$0]!, weights: weights) }
    }
}
