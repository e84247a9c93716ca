import SluiceFormats

/// The values a pass of ``NonzeroMedianEstimator`` counts: all of them in the histogram pass,
/// afterwards only those inside each open gene's interval (genes being refined, in a refine
/// pass). Worker threads drop the rest before handing values over, so the estimator's
/// single-threaded grouping by gene sees a fraction of them.
public struct MedianPassFilter: Sendable {
    let keepsAll: Bool
    let lower: [Double]
    let upper: [Double]
    /// Empty outside refine passes; there, −1 for genes not being refined.
    let refineSlot: [Int32]

    /// Keeps, in place at the front of `genes`/`values`, only the pairs the pass counts, and
    /// returns how many were kept.
    ///
    /// Branch-free: whether a value lies inside its gene's interval is as good as random, and
    /// a mispredicted branch per value cost three times the loop (10 vs 3 ns a value), so every
    /// pair is written at the front and the count of kept pairs advances by 0 or 1.
    public func keep(genes: UnsafeMutableBufferPointer<Int32>, values: UnsafeMutableBufferPointer<Double>) -> Int {
        precondition(genes.count == values.count, "one gene per value")
        guard !keepsAll else { return genes.count }
        let refining = !refineSlot.isEmpty
        var kept = 0
        lower.withUnsafeBufferPointer { lower in
            upper.withUnsafeBufferPointer { upper in
                refineSlot.withUnsafeBufferPointer { refineSlot in
                    for i in 0..<genes.count {
                        let gene = genes[i]
                        let g = Int(gene)
                        let value = values[i]
                        // Resolved genes have an empty interval (lower = upper = 0) when collecting.
                        var counted = Int((value >= lower[g]).bit & (value < upper[g]).bit)
                        if refining { counted &= Int((refineSlot[g] >= 0).bit) }
                        genes[kept] = gene
                        values[kept] = value
                        kept &+= counted
                    }
                }
            }
        }
        return kept
    }
}
