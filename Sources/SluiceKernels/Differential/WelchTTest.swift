import Foundation

/// Welch's unequal-variance t-test from group summaries, as scanpy's `method="t-test"` calls
/// `scipy.stats.ttest_ind_from_stats(mean1, sqrt(var1), n1, mean2, sqrt(var2), n2, equal_var=False)`.
public enum WelchTTest {
    /// The t statistic and two-sided p-value; like scanpy, a NaN statistic becomes 0 and a NaN
    /// p-value 1 (both variances zero).
    public static func test(
        mean1: Double, variance1: Double, count1: Int, mean2: Double, variance2: Double, count2: Int
    ) -> (statistic: Double, pValue: Double) {
        // scipy squares the standard deviations it is given: keep sqrt-then-square.
        let sd1 = variance1.squareRoot()
        let sd2 = variance2.squareRoot()
        let vn1 = sd1 * sd1 / Double(count1)
        let vn2 = sd2 * sd2 / Double(count2)
        let sum = vn1 + vn2
        var df = sum * sum / (vn1 * vn1 / Double(count1 - 1) + vn2 * vn2 / Double(count2 - 1))
        if df.isNaN { df = 1 }
        let t = (mean1 - mean2) / sum.squareRoot()
        var p = 2 * StudentT.survival(abs(t), degreesOfFreedom: df)
        if t.isNaN { p = .nan }
        return (t.isNaN ? 0 : t, p.isNaN ? 1 : p)
    }
}
