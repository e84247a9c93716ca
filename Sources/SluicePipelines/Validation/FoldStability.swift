import SluiceFormats
import SluiceKernels

/// How stable each signature's activity is when it rests on different genes: the genes the
/// expression and the signature share are split into k folds, the activity is inferred from
/// each fold's genes alone (the same ridge regression, with the analytic t-test: z = β / SE),
/// and every pair of folds' z-scores is correlated across the samples (Pearson). A signature
/// whose activity is carried by many genes gives folds that agree.
///
/// The split is reproducible: the shared genes, in the expression's order, are shuffled by
/// Fisher–Yates (for i from n − 1 down to 1, swap i with `next() % (i + 1)`) driven by
/// ``SeededGenerator`` (SplitMix64) from `seed`, and the gene at shuffled position p goes to
/// fold p mod k.
public enum FoldStability {
    public struct Row: Sendable, Equatable {
        public var signature: String
        public var folds: Int
        /// Mean and least of the k(k − 1)/2 correlations (NaN where a fold's activity is constant).
        public var meanR: Double
        public var minimumR: Double
    }

    /// The shared genes' folds: `folds[f]` holds fold f's genes, in the expression's order.
    public static func split(genes: [String], folds k: Int, seed: UInt64) -> [[String]] {
        var generator = SeededGenerator(seed: seed)
        let order = generator.shuffled(Array(genes.indices))
        var fold = [Int](repeating: 0, count: genes.count)
        for (position, gene) in order.enumerated() { fold[gene] = position % k }
        return (0..<k).map { f in genes.indices.filter { fold[$0] == f }.map { genes[$0] } }
    }

    /// - Parameters:
    ///   - expression: genes × samples, as given to `sluice analyze activity`.
    ///   - signature: genes × signatures.
    ///   - options: the activity's options (the t-test replaces its permutations, and signatures
    ///     are not grouped).
    public static func compute(
        expression: LabeledMatrix, signature: LabeledMatrix, options: ActivityOptions, folds k: Int, seed: UInt64
    ) throws -> [Row] {
        guard k >= 2 else { throw AnalysisError(code: "validate.folds", "stability needs at least 2 folds, not \(k)") }
        guard expression.columns.count >= 3 else {
            throw AnalysisError(code: "validate.folds", "stability correlates activities across samples: it needs at least 3, not \(expression.columns.count)")
        }
        var tTest = options
        tTest.permutations = 0
        // Each signature on its own: groups formed per fold could differ between folds.
        tTest.groupSignatures = false
        let profile = SignatureActivity.standardizedGenes(expression)
        let shared = try ActivityModel(profileGenes: profile.rows, signature: signature, options: tTest).genes
        guard shared.count >= 2 * k else {
            throw AnalysisError(
                code: "validate.folds", "\(shared.count) genes are shared by the expression and the signature: too few for \(k) folds of at least 2")
        }
        let rowOfGene = Dictionary(profile.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let standardized = SignatureActivity.standardizedSignature(signature)
        let signatureRow = Dictionary(standardized.rows.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let scores = try split(genes: shared, folds: k, seed: seed).map { genes in
            try SignatureActivity.run(
                expression: profile.selectingRows(genes.map { rowOfGene[$0]! }),
                signature: standardized.selectingRows(genes.map { signatureRow[$0]! }), options: tTest
            ).zscore
        }
        let samples = scores[0].columns.count
        return scores[0].rows.indices.map { row in
            let vectors = scores.map { table in (0..<samples).map { table[row, $0] } }
            var correlations: [Double] = []
            for a in 0..<k {
                for b in (a + 1)..<k { correlations.append(Correlation.pearson(vectors[a], vectors[b]).r) }
            }
            let mean = correlations.reduce(0, +) / Double(correlations.count)
            return Row(signature: scores[0].rows[row], folds: k, meanR: mean, minimumR: correlations.contains(where: \.isNaN) ? .nan : correlations.min()!)
        }
    }
}
