/// Benjamini–Hochberg adjusted p-values exactly as statsmodels' `multipletests(method="fdr_bh")`
/// computes them for scanpy's `rank_genes_groups(corr_method="benjamini-hochberg")`.
/// scanpy's results depend on statsmodels' order of operations (p / (rank / n), not p·n / rank)
/// and on its treatment of NaN (counted as 1); callers that want NaN left out drop it first
/// (as `sluice analyze correlate` does).
public enum FalseDiscoveryRate {
    /// p / (rank / n) for p-values sorted ascending, then the running minimum from the largest
    /// down, capped at 1, returned in the input order. NaN p-values count as 1 (as scanpy sets them).
    public static func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
        let n = pValues.count
        guard n > 0 else { return [] }
        let values = pValues.map { $0.isNaN ? 1 : $0 }
        let order = values.indices.sorted { values[$0] < values[$1] }
        var adjusted = [Double](repeating: 0, count: n)
        var running = Double.infinity
        for position in stride(from: n - 1, through: 0, by: -1) {
            let index = order[position]
            let ecdf = Double(position + 1) / Double(n)
            running = min(running, values[index] / ecdf)
            adjusted[index] = min(running, 1)
        }
        return adjusted
    }
}
