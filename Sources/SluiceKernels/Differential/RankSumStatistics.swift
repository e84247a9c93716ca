/// z-scores of Wilcoxon rank sums with scanpy's formulas and order of operations
/// (`_RankGenes.wilcoxon` in scanpy/tools/_rank_genes_groups.py), so results agree to the last
/// bits rather than merely to rounding.
public enum RankSumStatistics {
    /// scipy's `tiecorrect`: 1 − Σ(t³ − t) / (n³ − n) for `cells` ranked values (1 when fewer than 2).
    public static func tieCoefficient(tieTerm: Int64, cells: Int) -> Double {
        guard cells >= 2 else { return 1 }
        let size = Double(cells)
        return 1.0 - Double(tieTerm) / (size * size * size - size)
    }

    /// A group against all other cells: (R − n₁(N + 1)/2) / √(c·n₁(N − n₁)(N + 1)/12), with c the
    /// tie coefficient (`nil`: no tie correction); NaN (no variance) becomes 0 as in scanpy.
    public static func zScoreAgainstRest(doubledRankSum: Int64, groupCells n1: Int, totalCells n: Int, tieCoefficient: Double?) -> Double {
        let rankSum = Double(doubledRankSum) / 2
        let variance: Double
        if let tieCoefficient {
            variance = tieCoefficient * Double(n1) * Double(n - n1) * Double(n + 1) / 12.0
        } else {
            variance = Double(n1 * (n - n1) * (n + 1)) / 12.0
        }
        let z = (rankSum - Double(n1 * (n + 1)) / 2.0) / variance.squareRoot()
        return z.isNaN ? 0 : z
    }

    /// A group against a reference group: (R − n·(n + m + 1)/2) / √(c·n·m(n + m + 1)/12).
    public static func zScoreAgainstReference(doubledRankSum: Int64, groupCells n: Int, referenceCells m: Int, tieCoefficient: Double?) -> Double {
        let rankSum = Double(doubledRankSum) / 2
        let variance: Double
        if let tieCoefficient {
            variance = tieCoefficient * Double(n) * Double(m) * Double(n + m + 1) / 12.0
        } else {
            variance = Double(n * m * (n + m + 1)) / 12.0
        }
        let z = (rankSum - Double(n) * (Double(n + m + 1) / 2.0)) / variance.squareRoot()
        return z.isNaN ? 0 : z
    }
}
