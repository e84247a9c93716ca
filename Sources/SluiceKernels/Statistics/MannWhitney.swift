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

    /// The rank sums of two samples, fed their pooled values in ascending order, one run of
    /// equal values at a time.
    public struct RankSums: Sendable {
        private var position = 0.0
        private var rankSum = 0.0
        /// Σ(t³ − t) over the runs.
        private var ties = 0.0
        private var n1 = 0.0
        private var n2 = 0.0

        public init() {}

        /// The next run of equal values: `inFirst` of its `size` values are the first sample's.
        @inline(__always)
        public mutating func add(run size: Int, inFirst: Int) {
            let (t, k) = (Double(size), Double(inFirst))
            rankSum += k * (position + (t + 1) / 2)
            if size > 1 { ties += t * t * t - t }
            position += t
            n1 += k
            n2 += t - k
        }

        public var result: Result {
            guard n1 > 0, n2 > 0 else { return Result(u: .nan, auc: .nan, pvalue: .nan) }
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

    /// The test of `first` against `second` (NaN values left out): both sorted, then merged.
    public static func test(_ first: [Double], _ second: [Double]) -> Result {
        let a = first.filter { !$0.isNaN }.sorted()
        let b = second.filter { !$0.isNaN }.sorted()
        var sums = RankSums()
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            let value = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            let start = (i, j)
            while i < a.count, a[i] == value { i += 1 }
            while j < b.count, b[j] == value { j += 1 }
            sums.add(run: i - start.0 + j - start.1, inFirst: i - start.0)
        }
        return sums.result
    }
}
