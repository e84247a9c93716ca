import Foundation

/// The χ² distribution's survival function, P(X > x) for k degrees of freedom: the regularized
/// upper incomplete gamma function Q(k/2, x/2) — a series below a + 1, a continued fraction
/// (modified Lentz) above — accurate to about 1e-14 relative, as scipy's `chi2.sf`.
public enum ChiSquared {
    public static func survival(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard x.isFinite, k > 0 else { return x.isInfinite && x > 0 ? 0 : .nan }
        if x <= 0 { return 1 }
        return upperGamma(a: k / 2, x: x / 2)
    }

    /// Q(a, x) = Γ(a, x) / Γ(a).
    static func upperGamma(a: Double, x: Double) -> Double {
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            // P(a, x) by its series; Q = 1 − P.
            var term = 1 / a
            var sum = term
            var n = a
            for _ in 0..<10_000 {
                n += 1
                term *= x / n
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * exp(logPrefix))
        }
        // Q(a, x) by Legendre's continued fraction.
        let tiny = 1e-300
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return exp(logPrefix) * h
    }
}
