import Foundation

/// t-tests of raw samples as scipy computes them, two-sided: Welch's `ttest_ind(a, b,
/// equal_var=False)` and the paired `ttest_rel(a, b)`. Variances are unbiased (n − 1); a side
/// with a single value, or NaN anywhere, gives NaN (scipy's `nan_policy="propagate"`), and a
/// zero variance an infinite t with p = 0 (or NaN when the means are equal too).
public enum TTest {
    public struct Result: Sendable, Equatable {
        public var statistic: Double
        public var pvalue: Double
        public var degreesOfFreedom: Double
    }

    /// Welch's test: t = (mean a − mean b)/√(va/na + vb/nb), Welch–Satterthwaite degrees of
    /// freedom (1 where they are undefined, as scipy sets them).
    public static func welch(_ a: [Double], _ b: [Double]) -> Result {
        let (ma, va) = meanAndVariance(a)
        let (mb, vb) = meanAndVariance(b)
        let (na, nb) = (Double(a.count), Double(b.count))
        let (vna, vnb) = (va / na, vb / nb)
        var df = (vna + vnb) * (vna + vnb) / (vna * vna / (na - 1) + vnb * vnb / (nb - 1))
        if df.isNaN { df = 1 }
        return result((ma - mb) / (vna + vnb).squareRoot(), df: df)
    }

    /// The paired test: t = mean d/√(var d/n) of the differences d = a − b, n − 1 degrees of freedom.
    public static func paired(_ a: [Double], _ b: [Double]) -> Result {
        precondition(a.count == b.count, "paired samples have one value each")
        let (m, v) = meanAndVariance(zip(a, b).map { $0 - $1 })
        let n = Double(a.count)
        return result(m / (v / n).squareRoot(), df: n - 1)
    }

    private static func result(_ t: Double, df: Double) -> Result {
        guard !t.isNaN else { return Result(statistic: .nan, pvalue: .nan, degreesOfFreedom: df) }
        return Result(statistic: t, pvalue: min(1, 2 * StudentT.survival(abs(t), degreesOfFreedom: df)), degreesOfFreedom: df)
    }

    /// Mean and unbiased variance (NaN for fewer than two values).
    private static func meanAndVariance(_ values: [Double]) -> (Double, Double) {
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (mean, values.count < 2 ? .nan : squares / (n - 1))
    }
}
