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
        // Both sorted, then merged: each run of equal values shares its average rank, and the
        // first sample's share of it adds to R₁; Σ(t³ − t) over the runs is the tie term.
        let a = first.sorted()
        let b = second.sorted()
        var (i, j) = (0, 0)
        var position = 0.0
        var rankSum = 0.0
        var ties = 0.0
        while i < a.count || j < b.count {
            let value = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            var inFirst = 0.0
            while i < a.count, a[i] == value {
                i += 1
                inFirst += 1
            }
            var run = inFirst
            while j < b.count, b[j] == value {
                j += 1
                run += 1
            }
            rankSum += inFirst * (position + (run + 1) / 2)
            if run > 1 { ties += run * run * run - run }
            position += run
        }
        let u = rankSum - n1 * (n1 + 1) / 2
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
