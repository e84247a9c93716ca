/// The Friedman test of k related samples, as scipy's `friedmanchisquare(*columns)` computes it:
/// each block (a donor) ranks its k values (ties share their average rank), R_j sums column j's
/// ranks over the n blocks, χ² = (12/(n·k·(k + 1))·ΣR_j² − 3n(k + 1)) / (1 − Σ(t³ − t)/(n·k·(k² − 1)))
/// with the ties t of every block, and p = P(χ²_{k−1} ≥ χ²).
public enum Friedman {
    /// `blocks[i][j]`: block i's value in column j (every block has the k ≥ 3 columns). NaN
    /// anywhere, or fewer than 3 columns or 1 block, gives NaN; so does a table tied in every block.
    public static func test(_ blocks: [[Double]]) -> (statistic: Double, pvalue: Double) {
        let nan = (Double.nan, Double.nan)
        guard let k = blocks.first?.count, k >= 3, blocks.allSatisfy({ $0.count == k && !$0.contains(where: \.isNaN) }) else { return nan }
        let (n, columns) = (Double(blocks.count), Double(k))
        var sums = [Double](repeating: 0, count: k)
        var ties = 0.0
        for block in blocks {
            let order = block.indices.sorted { block[$0] < block[$1] }
            var start = 0
            while start < k {
                var end = start + 1
                while end < k, block[order[end]] == block[order[start]] { end += 1 }
                let rank = Double(start + end + 1) / 2
                for position in start..<end { sums[order[position]] += rank }
                let t = Double(end - start)
                ties += t * (t * t - 1)
                start = end
            }
        }
        let correction = 1 - ties / (columns * (columns * columns - 1) * n)
        guard correction > 0 else { return nan }
        let squares = sums.reduce(0) { $0 + $1 * $1 }
        let statistic = (12 / (columns * n * (columns + 1)) * squares - 3 * n * (columns + 1)) / correction
        return (statistic, ChiSquared.survival(statistic, degreesOfFreedom: columns - 1))
    }
}
