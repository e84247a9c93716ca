/// Geneformer's rank-value encoding of one cell: genes ordered by normalized, median-scaled
/// expression, highest first.
///
/// For a cell with total count `n` and a gene with count `x` and dataset median `m` (see
/// ``NonzeroMedianEstimator``), the score is `((x · 10000) / n) / m` in double precision, in
/// exactly that order of operations, so the result is bit-identical to the numpy reference.
/// Genes are sorted by score descending, ties broken by ascending token id, and the first
/// `topGenes` are kept (Theodoris et al., *Nature* 2023).
public struct RankValueTokenizer: Sendable {
    public let topGenes: Int
    /// Median of each slot (``GeneTokenMap``); slots without one never have a non-zero count.
    public let medians: [Double]
    public let tokenOfSlot: [Int32]

    public init(topGenes: Int, medians: [Double], tokenOfSlot: [Int32]) {
        self.topGenes = topGenes
        self.medians = medians
        self.tokenOfSlot = tokenOfSlot
    }

    /// The normalized value `(x · 10000) / n` whose per-gene medians scale the scores.
    @inline(__always)
    public static func normalized(_ count: Double, total: Double) -> Double {
        (count * 10000.0) / total
    }

    /// The tokens of one cell, given its `(slot, count)` pairs and total count.
    public func tokens(_ entries: [(slot: Int, count: Double)], total: Double) -> [Int32] {
        var scored = entries.map { entry in
            (score: Self.normalized(entry.count, total: total) / medians[entry.slot], token: tokenOfSlot[entry.slot])
        }
        let keep = min(topGenes, scored.count)
        // Partial selection would save little at ~2,000 genes a cell; a full sort is simplest.
        scored.sort { $0.score != $1.score ? $0.score > $1.score : $0.token < $1.token }
        return scored.prefix(keep).map(\.token)
    }
}
