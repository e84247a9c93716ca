/// The least-squares line through pairs of values, as scipy's `linregress(x, y)` fits it.
public enum LeastSquares {
    /// y = slope·x + intercept over the pairs without NaN; NaN when fewer than two pairs remain
    /// or x is constant.
    public static func line(x: [Double], y: [Double]) -> (slope: Double, intercept: Double) {
        let pairs = x.indices.filter { !x[$0].isNaN && !y[$0].isNaN }
        guard pairs.count >= 2 else { return (.nan, .nan) }
        let n = Double(pairs.count)
        let meanX = pairs.reduce(0.0) { $0 + x[$1] } / n
        let meanY = pairs.reduce(0.0) { $0 + y[$1] } / n
        var sxy = 0.0
        var sxx = 0.0
        for i in pairs {
            sxy += (x[i] - meanX) * (y[i] - meanY)
            sxx += (x[i] - meanX) * (x[i] - meanX)
        }
        guard sxx > 0 else { return (.nan, .nan) }
        let slope = sxy / sxx
        return (slope, meanY - slope * meanX)
    }
}
