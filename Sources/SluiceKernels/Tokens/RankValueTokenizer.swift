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

    /// Sorts by score descending, then token ascending — a strict total order (a cell's tokens
    /// are distinct), so an unstable sort gives the one right answer. An in-place quicksort with
    /// the comparison inlined is several times faster than the standard library's stable sort,
    /// and this sort is most of the tokenizing time.
    static func sortByRank(_ items: UnsafeMutableBufferPointer<(score: Double, token: Int32)>) {
        @inline(__always) func before(_ a: (score: Double, token: Int32), _ b: (score: Double, token: Int32)) -> Bool {
            a.score != b.score ? a.score > b.score : a.token < b.token
        }
        var stack: [(Int, Int)] = [(0, items.count - 1)]
        while let (low, high) = stack.popLast() {
            if high - low < 16 {
                if high > low {
                    for i in (low + 1)...high {
                        let item = items[i]
                        var j = i - 1
                        while j >= low, before(item, items[j]) {
                            items[j + 1] = items[j]
                            j -= 1
                        }
                        items[j + 1] = item
                    }
                }
                continue
            }
            // Median of three as pivot, then Hoare partition.
            let middle = low + (high - low) / 2
            if before(items[middle], items[low]) { items.swapAt(middle, low) }
            if before(items[high], items[low]) { items.swapAt(high, low) }
            if before(items[high], items[middle]) { items.swapAt(high, middle) }
            let pivot = items[middle]
            var i = low
            var j = high
            while i <= j {
                while before(items[i], pivot) { i += 1 }
                while before(pivot, items[j]) { j -= 1 }
                if i <= j {
                    items.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if low < j { stack.append((low, j)) }
            if i < high { stack.append((i, high)) }
        }
    }

    /// Appends the tokens of one cell to `output`, given its slots, summed counts and total.
    ///
    /// `scored` is working space, reused across cells.
    public func appendTokens(
        slots: [Int32], counts: [Double], total: Double, scored: inout [(score: Double, token: Int32)], to output: inout [Int32]
    ) {
        scored.removeAll(keepingCapacity: true)
        medians.withUnsafeBufferPointer { medians in
            tokenOfSlot.withUnsafeBufferPointer { tokens in
                for (slot, count) in zip(slots, counts) {
                    scored.append((Self.normalized(count, total: total) / medians[Int(slot)], tokens[Int(slot)]))
                }
            }
        }
        scored.withUnsafeMutableBufferPointer { Self.sortByRank($0) }
        for entry in scored.prefix(topGenes) { output.append(entry.token) }
    }
}
