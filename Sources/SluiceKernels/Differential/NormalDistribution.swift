import Foundation

/// The standard normal distribution as scipy evaluates it (`scipy.special.ndtr`, cephes), for the
/// two-sided p-values of Wilcoxon z-scores.
public enum NormalDistribution {
    /// cephes' MAXLOG: `erfc` returns 0 once −x² is below it.
    static let maximumLogarithm = 7.09782712893383996843e2

    /// 2·P(Z > |z|), scanpy's `2 * stats.distributions.norm.sf(np.abs(z))`.
    public static func twoSidedPValue(_ z: Double) -> Double {
        2 * cumulative(-abs(z))
    }

    /// P(Z ≤ a), following cephes `ndtr`: 0.5 + 0.5·erf(a/√2) near 0, else 0.5·erfc(|a|/√2).
    public static func cumulative(_ a: Double) -> Double {
        if a.isNaN { return .nan }
        let x = a * 0.70710678118654752440
        let z = abs(x)
        if z < 0.70710678118654752440 { return 0.5 + 0.5 * erf(x) }
        var y = 0.5 * complementaryError(z)
        if x > 0 { y = 1.0 - y }
        return y
    }

    /// cephes `erfc` for x ≥ 0: 1 − erf(x) below 1, 0 where cephes underflows.
    static func complementaryError(_ x: Double) -> Double {
        if x < 1.0 { return 1.0 - erf(x) }
        if -x * x < -maximumLogarithm { return 0 }
        return erfc(x)
    }
}
