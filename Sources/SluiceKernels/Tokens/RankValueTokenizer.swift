public import SluiceFormats

/// Geneformer's rank-value encoding of one cell: genes ordered by normalized, median-scaled
/// expression, highest first.
///
/// For a cell with total count `n` and a gene with count `x` and dataset median `m` (see
/// ``NonzeroMedianEstimator``), the score is `((x · 10000) / n) / m` in double precision, in
/// exactly that order of operations, so the result is bit-identical to the numpy reference —
/// or, with ``geneformerOrder``, `((x / n) · 10000) / m`, the order of Geneformer's
/// `TranscriptomeTokenizer`. Genes are sorted by score descending, ties broken by ascending
/// token id, and the first `topGenes` are kept (Theodoris et al., *Nature* 2023).
public struct RankValueTokenizer: Sendable {
    /// The most tokens written per cell.
    public let topGenes: Int
    /// Median of each slot (``GeneTokenMap``); slots without one never have a non-zero count.
    public let medians: [Double]
    /// Token id of each slot (``GeneTokenMap``): the token written, and the tie-break between equal scores.
    public let tokenOfSlot: [Int32]
    /// Whether scores are computed in Geneformer's order of operations (divide by the total
    /// first), which rounds differently and so can order near-equal scores differently.
    public let geneformerOrder: Bool

    /// A tokenizer keeping `topGenes` tokens per cell, with one median and one token id per slot.
    public init(topGenes: Int, medians: [Double], tokenOfSlot: [Int32], geneformerOrder: Bool = false) {
        self.topGenes = topGenes
        self.medians = medians
        self.tokenOfSlot = tokenOfSlot
        self.geneformerOrder = geneformerOrder
    }

    /// The normalized value `(x · 10000) / n` whose per-gene medians scale the scores.
    @inline(__always)
    public static func normalized(_ count: Double, total: Double) -> Double {
        (count * 10000.0) / total
    }

    /// The score of a count `count` in a cell of total `total`, for a gene of median `median`.
    @inline(__always)
    func score(_ count: Double, total: Double, median: Double) -> Double {
        geneformerOrder ? ((count / total) * 10000.0) / median : Self.normalized(count, total: total) / median
    }

    /// Writes the tokens of one cell to `output`, given its slots, summed counts and total, and
    /// returns how many: `min(slots.count, topGenes)`, for which `output` must have room.
    ///
    /// `sorter` is working space, reused across cells.
    public func writeTokens(
        slots: UnsafeBufferPointer<Int32>, counts: UnsafeBufferPointer<Double>, total: Double, sorter: inout RankSorter,
        into output: UnsafeMutablePointer<Int32>
    ) -> Int {
        precondition(slots.count == counts.count, "one count per slot")
        return medians.withUnsafeBufferPointer { medians in
            tokenOfSlot.withUnsafeBufferPointer { tokenOfSlot in
                sorter.writeTopTokens(capacity: slots.count, limit: topGenes, into: output) { keys, tokens in
                    for i in 0..<slots.count {
                        let slot = Int(slots[i])
                        keys[i] = RankSorter.key(score(counts[i], total: total, median: medians[slot]))
                        tokens[i] = tokenOfSlot[slot]
                    }
                    return slots.count
                }
            }
        }
    }

    /// Writes the tokens of row `row` of `rows` (matrix columns are genes) to `output` and returns
    /// how many: at most `min(stored values, topGenes)`, for which `output` must have room.
    ///
    /// For a map with no two genes on one token (``GeneTokenMap/isOneToOne``), so no counts need
    /// summing: the row's values are scored as they are read, with no gathered copy in between.
    public func writeTokens(
        _ rows: SparseRows, row: Int, map: GeneTokenMap, total: Double, sorter: inout RankSorter,
        into output: UnsafeMutablePointer<Int32>
    ) -> Int {
        precondition(map.isOneToOne, "genes sharing a token need their counts summed first (GeneTokenMap.gather)")
        let lower = Int(rows.offsets[row])
        let upper = Int(rows.offsets[row + 1])
        return medians.withUnsafeBufferPointer { medians in
            tokenOfSlot.withUnsafeBufferPointer { tokenOfSlot in
                map.slotOfGene.withUnsafeBufferPointer { slotOf in
                    rows.columns.withUnsafeBufferPointer { columns in
                        rows.values.withUnsafeBufferPointer { values in
                            sorter.writeTopTokens(capacity: upper - lower, limit: topGenes, into: output) { keys, tokens in
                                var count = 0
                                for k in lower..<upper {
                                    let slot = Int(slotOf[Int(columns[k])])
                                    guard slot >= 0, values[k] != 0 else { continue }
                                    keys[count] = RankSorter.key(score(Double(values[k]), total: total, median: medians[slot]))
                                    tokens[count] = tokenOfSlot[slot]
                                    count += 1
                                }
                                return count
                            }
                        }
                    }
                }
            }
        }
    }
}
