/// The Mann–Whitney U test of two samples, as scipy's
/// `mannwhitneyu(x, y, alternative="two-sided", method="asymptotic")` computes it: U of the first
/// sample from the ranks of both together (ties share their average rank), and a two-sided
/// p-value from the normal approximation with the tie correction and the continuity correction.
public enum MannWhitney {
    public struct Result: Sendable, Equatable {
        /// U of the first sample: R₁ − n₁(n₁ + 1)/2.
        public var u: Double
        /// U / (n₁·n₂): the chance that a value of the first sample exceeds one of the second
        /// (ties counting half) — the area under the ROC curve.
        public var auc: Double
        /// Two-sided; NaN when a sample is empty or every value is tied.
        public var pvalue: Double
    }

    /// The test of `first` against `second` (neither holding NaN).
    public static func test(_ first: [Double], _ second: [Double]) -> Result {
        let n1 = Double(first.count)
        let n2 = Double(second.count)
        guard !first.isEmpty, !second.isEmpty else { return Result(u: .nan, auc: .nan, pvalue: .nan) }
        let ranks = Correlation.ranks(first + second)
        let rankSum = ranks[0..<first.count].reduce(0, +)
        let u = rankSum - n1 * (n1 + 1) / 2
        // Σ(t³ − t) over the groups of tied values: the ranks repeat exactly where values tie.
        var ties = 0.0
        var counts: [Double: Double] = [:]
        for rank in ranks { counts[rank, default: 0] += 1 }
        for t in counts.values where t > 1 { ties += t * t * t - t }
        let n = n1 + n2
        let variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
        guard variance > 0 else { return Result(u: u, auc: u / (n1 * n2), pvalue: .nan) }
        // scipy takes the larger U (two-sided) and moves it half a step towards the mean; a U
        // within half a step of the mean gives 1.
        let larger = max(u, n1 * n2 - u)
        let z = (larger - n1 * n2 / 2 - 0.5) / variance.squareRoot()
        return Result(u: u, auc: u / (n1 * n2), pvalue: min(1, 2 * NormalDistribution.cumulative(-z)))
    }
}
