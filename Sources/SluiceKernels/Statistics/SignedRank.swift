import Foundation

/// The Wilcoxon signed-rank test of paired values, as scipy's `wilcoxon(x, y)` computes it with
/// its defaults (`zero_method="wilcox"`, `correction=False`, `method="auto"`, two-sided):
/// differences d = x − y, zero differences dropped, the absolute differences ranked (ties share
/// their average rank), R⁺ and R⁻ the rank sums of the positive and negative differences.
///
/// The p-value is exact — twice the smaller tail of R⁺ under the null distribution, where each
/// rank is positive or negative with chance ½ — when there are at most 50 pairs and none has a
/// zero difference; otherwise it comes from the normal approximation with the tie correction of
/// the variance, n(n + 1)(2n + 1)/24 − Σ(t³ − t)/48. As in scipy, an exact p-value with tied
/// differences takes R⁺ truncated to an integer.
public enum SignedRank {
    public struct Result: Sendable, Equatable {
        /// min(R⁺, R⁻) (scipy's two-sided statistic).
        public var statistic: Double
        /// Two-sided; NaN without pairs (or, approximated, with every difference zero).
        public var pvalue: Double
        /// Pairs with a non-zero difference.
        public var nonZero: Int
    }

    /// The test of `first[i]` against `second[i]`; a NaN in either makes the result NaN (scipy's
    /// default `nan_policy="propagate"`).
    public static func test(_ first: [Double], _ second: [Double]) -> Result {
        precondition(first.count == second.count, "paired samples have one value each")
        let nan = Result(statistic: .nan, pvalue: .nan, nonZero: 0)
        let differences = zip(first, second).map { $0 - $1 }
        guard !differences.isEmpty, !differences.contains(where: \.isNaN) else { return nan }
        let pairs = differences.count
        let nonZero = differences.filter { $0 != 0 }.sorted { abs($0) < abs($1) }
        let n = Double(nonZero.count)
        var (plus, minus, ties) = (0.0, 0.0, 0.0)
        var start = 0
        while start < nonZero.count {
            var end = start + 1
            while end < nonZero.count, abs(nonZero[end]) == abs(nonZero[start]) { end += 1 }
            let rank = Double(start + end + 1) / 2
            for d in nonZero[start..<end] {
                if d > 0 { plus += rank } else { minus += rank }
            }
            let t = Double(end - start)
            ties += t * t * t - t
            start = end
        }
        let statistic = min(plus, minus)
        if pairs <= 50, nonZero.count == pairs {
            // P(R⁺ ≥ k) and P(R⁺ ≤ k) = P(R⁺ ≥ top − k) from one null distribution.
            let probabilities = nullDistribution(pairs)
            let tail = { (k: Int) in k <= 0 ? 1 : k >= probabilities.count ? 0 : probabilities[k...].reduce(0, +) }
            let p = 2 * min(tail(Int(plus)), tail(pairs * (pairs + 1) / 2 - Int(plus)))
            return Result(statistic: statistic, pvalue: min(1, max(0, p)), nonZero: nonZero.count)
        }
        guard n > 0 else { return Result(statistic: statistic, pvalue: .nan, nonZero: 0) }
        let mean = n * (n + 1) / 4
        let sd = ((n * (n + 1) * (2 * n + 1) - ties / 2) / 24).squareRoot()
        let z = (plus - mean) / sd
        return Result(statistic: statistic, pvalue: 2 * NormalDistribution.cumulative(-abs(z)), nonZero: nonZero.count)
    }

    /// The null distribution of R⁺ for `n` pairs without ties or zeros, P(R⁺ = 0…n(n + 1)/2),
    /// built as scipy builds it: starting from one point at 0, each rank r = 1…n splits every
    /// probability in halves, one staying and one moving up by r.
    static func nullDistribution(_ n: Int) -> [Double] {
        var probabilities = [1.0]
        for r in stride(from: 1, through: n, by: 1) {
            var next = [Double](repeating: 0, count: r * (r + 1) / 2 + 1)
            for (value, p) in probabilities.enumerated() {
                next[value] += p * 0.5
                next[value + r] += p * 0.5
            }
            probabilities = next
        }
        return probabilities
    }
}
