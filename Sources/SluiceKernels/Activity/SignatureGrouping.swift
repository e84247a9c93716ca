import CLinearAlgebra

/// SecAct's grouping of near-identical signatures: Pearson correlation distance between
/// signature columns (1 − r; undefined for constant columns, taken as 1), complete-linkage
/// clustering, cut at `1 − threshold` — SecActpy's `group_signatures` (scipy's `pdist`,
/// `linkage(method="complete")`, `fcluster(criterion="distance")`).
public enum SignatureGrouping {
    /// Groups of column indices (each sorted), for a genes × signatures row-major matrix.
    public static func groups(x: [Double], genes: Int, signatures: Int, threshold: Double = 0.9) -> [[Int]] {
        guard signatures > 1 else { return signatures == 1 ? [[0]] : [] }
        // Centred, unit-length columns: their dot products are the correlations.
        var unit = x
        var constant = [Bool](repeating: false, count: signatures)
        for column in 0..<signatures {
            var mean = 0.0
            for gene in 0..<genes { mean += x[gene * signatures + column] }
            mean /= Double(genes)
            var norm = 0.0
            for gene in 0..<genes {
                let value = x[gene * signatures + column] - mean
                unit[gene * signatures + column] = value
                norm += value * value
            }
            norm = norm.squareRoot()
            constant[column] = norm == 0
            for gene in 0..<genes where norm > 0 { unit[gene * signatures + column] /= norm }
        }
        var correlation = [Double](repeating: 0, count: signatures * signatures)
        cblas_dgemm(
            CblasRowMajor, CblasTrans, CblasNoTrans, Int32(signatures), Int32(signatures), Int32(genes),
            1, unit, Int32(signatures), unit, Int32(signatures), 0, &correlation, Int32(signatures))
        var distance = correlation.map { max(0, 1 - $0) }
        for i in 0..<signatures where constant[i] {
            for j in 0..<signatures { distance[i * signatures + j] = 1; distance[j * signatures + i] = 1 }
        }

        // Complete linkage, merging while the closest clusters are within the cut height.
        let cut = 1 - threshold
        var members = (0..<signatures).map { [$0] }
        var active = Array(0..<signatures)
        while active.count > 1 {
            var best = (a: -1, b: -1, distance: Double.infinity)
            for (position, a) in active.enumerated() {
                for b in active[(position + 1)...] where distance[a * signatures + b] < best.distance {
                    best = (a, b, distance[a * signatures + b])
                }
            }
            guard best.distance <= cut else { break }
            // Cluster `a` absorbs `b`; its distance to every other cluster is the larger of the two.
            for other in active where other != best.a && other != best.b {
                let merged = max(distance[best.a * signatures + other], distance[best.b * signatures + other])
                distance[best.a * signatures + other] = merged
                distance[other * signatures + best.a] = merged
            }
            members[best.a] += members[best.b]
            active.removeAll { $0 == best.b }
        }
        return active.map { members[$0].sorted() }.sorted { $0[0] < $1[0] }
    }
}
