/// Inverse-variance meta-analysis of one effect measured in several studies (atlases), as
/// statsmodels' `combine_effects(effects, variances, method_re="chi2")` computes it: the
/// fixed-effect mean Σwᵢβᵢ / Σwᵢ with wᵢ = 1/SEᵢ² and its SE 1/√Σwᵢ, Cochran's Q = Σwᵢ(βᵢ − β̂)²
/// with k − 1 degrees of freedom and its χ² p-value, I² = max(0, (Q − (k − 1)) / Q), and the
/// DerSimonian–Laird random-effects mean (τ² = max(0, (Q − (k − 1)) / (Σw − Σw²/Σw))).
public enum MetaAnalysis {
    public struct Result: Sendable, Equatable {
        public var studies: Int
        public var effect: Double
        public var se: Double
        /// effect / se, and its two-sided normal p-value.
        public var z: Double
        public var pvalue: Double
        public var q: Double
        public var qPvalue: Double
        public var i2: Double
        public var tau2: Double
        public var randomEffect: Double
        public var randomSE: Double
    }

    /// The studies with a finite effect and a positive, finite SE; NaN fields with none (and Q,
    /// I² and τ² NaN with one).
    public static func combine(effects: [Double], standardErrors: [Double]) -> Result {
        let kept = effects.indices.filter { effects[$0].isFinite && standardErrors[$0].isFinite && standardErrors[$0] > 0 }
        let beta = kept.map { effects[$0] }
        let weight = kept.map { 1 / (standardErrors[$0] * standardErrors[$0]) }
        let k = Double(kept.count)
        guard !kept.isEmpty else {
            return Result(studies: 0, effect: .nan, se: .nan, z: .nan, pvalue: .nan, q: .nan, qPvalue: .nan, i2: .nan, tau2: .nan, randomEffect: .nan, randomSE: .nan)
        }
        let total = weight.reduce(0, +)
        let effect = zip(weight, beta).reduce(0) { $0 + $1.0 * $1.1 } / total
        let se = (1 / total).squareRoot()
        let z = effect / se
        var result = Result(
            studies: kept.count, effect: effect, se: se, z: z, pvalue: NormalDistribution.twoSidedPValue(z), q: .nan, qPvalue: .nan,
            i2: .nan, tau2: .nan, randomEffect: .nan, randomSE: .nan)
        guard kept.count > 1 else { return result }
        let q = zip(weight, beta).reduce(0) { $0 + $1.0 * ($1.1 - effect) * ($1.1 - effect) }
        let freedom = k - 1
        result.q = q
        result.qPvalue = ChiSquared.survival(q, degreesOfFreedom: freedom)
        result.i2 = q > 0 ? max(0, (q - freedom) / q) : 0
        let tau2 = max(0, (q - freedom) / (total - weight.reduce(0) { $0 + $1 * $1 } / total))
        let randomWeight = kept.map { 1 / (standardErrors[$0] * standardErrors[$0] + tau2) }
        let randomTotal = randomWeight.reduce(0, +)
        result.tau2 = tau2
        result.randomEffect = zip(randomWeight, beta).reduce(0) { $0 + $1.0 * $1.1 } / randomTotal
        result.randomSE = (1 / randomTotal).squareRoot()
        return result
    }
}
