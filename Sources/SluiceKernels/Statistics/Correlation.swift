/// Pearson, Spearman and partial correlation with two-sided p-values, as scipy's `pearsonr` and
/// `spearmanr` (t distribution with n − 2 degrees of freedom; the partial correlation loses one
/// more per covariate controlled for, as pingouin's `partial_corr`). Missing values (NaN) drop
/// the observation, pair by pair.
public enum Correlation {
    /// One correlation: the coefficient and what goes with it.
    public struct Estimate: Sendable, Equatable {
        /// The coefficient, in −1…1; NaN with fewer than two observations or a constant variable.
        public var r: Double
        /// The two-sided p-value; NaN when `r` is NaN or no degrees of freedom are left.
        public var pvalue: Double
        /// Observations used.
        public var n: Int
    }

    /// Pearson correlation of x and y, over the observations where neither is NaN.
    public static func pearson(_ x: [Double], _ y: [Double]) -> Estimate {
        let (a, b) = complete(x, y)
        return estimate(r: coefficient(a, b), n: a.count, controls: 0)
    }

    /// Pearson correlation of the ranks (ties get their average rank).
    public static func spearman(_ x: [Double], _ y: [Double]) -> Estimate {
        let (a, b) = complete(x, y)
        return estimate(r: coefficient(ranks(a), ranks(b)), n: a.count, controls: 0)
    }

    /// Pearson correlation of x and y after removing, by least squares with an intercept, what
    /// the control variables explain of each.
    public static func partial(_ x: [Double], _ y: [Double], controls: [[Double]]) -> Estimate {
        let rows = x.indices.filter { i in !x[i].isNaN && !y[i].isNaN && controls.allSatisfy { !$0[i].isNaN } }
        let design = rows.map { i in [1.0] + controls.map { $0[i] } }
        let a = residuals(rows.map { x[$0] }, design)
        let b = residuals(rows.map { y[$0] }, design)
        return estimate(r: coefficient(a, b), n: rows.count, controls: controls.count)
    }

    /// Ranks 1…n, ties sharing their average rank (scipy's `rankdata(method="average")`).
    public static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var result = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count && values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 2) / 2
            for k in start...end { result[order[k]] = rank }
            start = end + 1
        }
        return result
    }

    static func coefficient(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard a.count >= 2 else { return .nan }
        let meanA = a.reduce(0, +) / n
        let meanB = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices {
            let da = a[i] - meanA
            let db = b[i] - meanB
            sab += da * db
            saa += da * da
            sbb += db * db
        }
        guard saa > 0, sbb > 0 else { return .nan }
        return max(-1, min(1, sab / (saa * sbb).squareRoot()))
    }

    static func estimate(r: Double, n: Int, controls: Int) -> Estimate {
        let freedom = Double(n - 2 - controls)
        guard r.isFinite, freedom > 0 else { return Estimate(r: r, pvalue: .nan, n: n) }
        if abs(r) >= 1 { return Estimate(r: r, pvalue: 0, n: n) }
        let t = r * (freedom / ((1 - r) * (1 + r))).squareRoot()
        return Estimate(r: r, pvalue: min(1, 2 * StudentT.survival(abs(t), degreesOfFreedom: freedom)), n: n)
    }

    private static func complete(_ x: [Double], _ y: [Double]) -> ([Double], [Double]) {
        let keep = x.indices.filter { !x[$0].isNaN && !y[$0].isNaN }
        return (keep.map { x[$0] }, keep.map { y[$0] })
    }

    /// y minus its least-squares fit on the design's columns (normal equations, Gaussian elimination).
    private static func residuals(_ y: [Double], _ design: [[Double]]) -> [Double] {
        guard let width = design.first?.count else { return y }
        var normal = [[Double]](repeating: [Double](repeating: 0, count: width + 1), count: width)
        for (row, values) in design.enumerated() {
            for i in 0..<width {
                for j in 0..<width { normal[i][j] += values[i] * values[j] }
                normal[i][width] += values[i] * y[row]
            }
        }
        // Solve with partial pivoting.
        for column in 0..<width {
            let pivot = (column..<width).max { abs(normal[$0][column]) < abs(normal[$1][column]) }!
            normal.swapAt(column, pivot)
            guard abs(normal[column][column]) > 1e-300 else { continue }
            for row in 0..<width where row != column {
                let factor = normal[row][column] / normal[column][column]
                for k in column...width { normal[row][k] -= factor * normal[column][k] }
            }
        }
        let coefficients = (0..<width).map { abs(normal[$0][$0]) > 1e-300 ? normal[$0][width] / normal[$0][$0] : 0 }
        return design.enumerated().map { row, values in
            y[row] - zip(values, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
        }
    }
}
