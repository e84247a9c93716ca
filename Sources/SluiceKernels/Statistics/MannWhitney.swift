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

    /// How the p-value is found: always from the normal approximation, or as scipy's
    /// `method="auto"` chooses — exactly (the null distribution of U counted) when the smaller
    /// sample has at most 8 values and no value is tied, else the approximation.
    public enum Method: Sendable {
        case asymptotic, auto
    }

    /// The test of `first` against `second` (NaN values left out): both sorted, then merged.
    public static func test(_ first: [Double], _ second: [Double], method: Method = .asymptotic) -> Result {
        let a = first.filter { !$0.isNaN }.sorted()
        let b = second.filter { !$0.isNaN }.sorted()
        var sums = RankSums()
        var (i, j) = (0, 0)
        var tied = false
        while i < a.count || j < b.count {
            let value = j == b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            let start = (i, j)
            while i < a.count, a[i] == value { i += 1 }
            while j < b.count, b[j] == value { j += 1 }
            sums.add(run: i - start.0 + j - start.1, inFirst: i - start.0)
            tied = tied || i - start.0 + j - start.1 > 1
        }
        var result = sums.result
        if method == .auto, min(a.count, b.count) <= 8, !a.isEmpty, !b.isEmpty, !tied {
            // scipy doubles the chance of a U at least as far from the mean as the larger of U₁, U₂.
            let larger = Int(max(result.u, Double(a.count * b.count) - result.u))
            result.pvalue = min(1, 2 * exactSurvival(larger, a.count, b.count))
        }
        return result
    }

    /// P(U ≥ `u`) for samples of `m` and `n` values without ties: the orderings of the pooled
    /// values whose U is at most m·n − u (U's distribution is symmetric), over all C(m + n, m)
    /// orderings. With f(i, j, k) the orderings of i values of one sample and j of the other in
    /// which k pairs have the first sample's value above, the largest value is either the first
    /// sample's (above all j others) or not: f(i, j, k) = f(i − 1, j, k − j) + f(i, j − 1, k) —
    /// counted with additions only, for k ≤ m·n − u.
    public static func exactSurvival(_ u: Int, _ m: Int, _ n: Int) -> Double {
        let limit = m * n - u
        guard limit >= 0 else { return 0 }
        guard u > 0 else { return 1 }
        let (small, large) = (min(m, n), max(m, n))
        // counts[i][k] = f(i, j, k) for the j reached so far; j = 0: one ordering, k = 0.
        var counts = [[Double]](repeating: [Double](repeating: 0, count: limit + 1), count: small + 1)
        for i in 0...small { counts[i][0] = 1 }
        for j in stride(from: 1, through: large, by: 1) where j <= limit {
            for i in stride(from: 1, through: small, by: 1) {
                // counts[i − 1] already holds f(i − 1, j, ·); counts[i] still f(i, j − 1, ·).
                for k in j...limit { counts[i][k] += counts[i - 1][k - j] }
            }
        }
        return counts[small].reduce(0, +) / binomial(m + n, small)
    }

    /// C(n, k) as a double.
    private static func binomial(_ n: Int, _ k: Int) -> Double {
        var result = 1.0
        for i in 0..<k { result = result * Double(n - i) / Double(i + 1) }
        return result.rounded()
    }
}
