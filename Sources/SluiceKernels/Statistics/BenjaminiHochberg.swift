/// Benjamini–Hochberg adjusted p-values (q-values): `q(i) = min over j ≥ i of p(j)·m/j`, capped
/// at 1, in the input's order — as statsmodels' `fdr_bh` and scanpy compute them. NaN stays NaN
/// and does not count in m.
public enum BenjaminiHochberg {
    public static func adjust(_ pvalues: [Double]) -> [Double] {
        let valid = pvalues.indices.filter { !pvalues[$0].isNaN }.sorted { pvalues[$0] < pvalues[$1] }
        var result = [Double](repeating: .nan, count: pvalues.count)
        let m = Double(valid.count)
        var running = 1.0
        for position in stride(from: valid.count - 1, through: 0, by: -1) {
            let index = valid[position]
            running = min(running, pvalues[index] * m / Double(position + 1))
            result[index] = min(1, running)
        }
        return result
    }
}
