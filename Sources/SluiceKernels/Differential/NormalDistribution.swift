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

    /// z with P(Z > z) = `q` (scipy's `norm.isf(q)`), for 0 < q < 1: Acklam's rational
    /// approximation, then Newton steps on the tail probability until they no longer move z
    /// (about 1e-15 relative). 0 and 1 give ±∞; outside [0, 1] or NaN, NaN.
    public static func upperQuantile(_ q: Double) -> Double {
        guard q > 0, q < 1 else { return q == 0 ? .infinity : q == 1 ? -.infinity : .nan }
        // The lower half from the upper by symmetry, where the tail probability keeps its digits
        // (as cephes' ndtri does).
        if q > 0.5 { return -upperQuantile(1 - q) }
        // Acklam's approximation of the lower quantile of p = q (then z = −that).
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        let p = q
        var x: Double
        if p < 0.02425 {
            let r = (-2 * log(p)).squareRoot()
            x = (((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        } else if p <= 1 - 0.02425 {
            let u = p - 0.5
            let r = u * u
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * u / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        } else {
            let r = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * r + c[1]) * r + c[2]) * r + c[3]) * r + c[4]) * r + c[5]) / ((((d[0] * r + d[1]) * r + d[2]) * r + d[3]) * r + 1)
        }
        var z = -x
        // Newton on Q(z) = q, Q the upper tail: z ← z + (Q(z) − q)/φ(z).
        for _ in 0..<4 {
            let density = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
            guard density > 0 else { break }
            let step = (cumulative(-z) - q) / density
            z += step
            if abs(step) <= 1e-15 * max(1, abs(z)) { break }
        }
        return z
    }
}
