/// Wilcoxon rank sums of one gene from its stored (non-zero) values alone.
///
/// scanpy's `rank_genes_groups(method="wilcoxon")` ranks a dense column of every cell with
/// `rankdata` (average ranks for ties) and sums the ranks of each group's cells. In sparse data
/// most cells hold a zero: they form one tie block whose average rank is known without sorting
/// them — it starts after the negative values (usually none) and before the positive ones — so
/// only the stored values are sorted. Ranks are averages of two integers, so this kernel keeps
/// *doubled* rank sums in integers: exact, and equal to scanpy's float64 sums whenever those are
/// exact (below 2⁵³, i.e. always for fewer than ~10⁸ cells).
///
/// The tie terms Σ(t³ − t) over tie blocks (the zero block included) feed scipy's `tiecorrect`
/// formula, as scanpy's `_tiecorrect` does.
///
/// Keys are ``RankKey``s sorted ascending; slots index the `cells` and `moments` arrays.
public enum WilcoxonRankSums {
    @inline(__always)
    static func tieTerm(_ t: Int) -> Int64 {
        let t = Int64(t)
        return t * t * t - t
    }

    /// Ranks all cells of the slots in `pool` together (scanpy's `reference="rest"`: every cell of
    /// the dataset, or of the stratum, in one ranking).
    ///
    /// - Parameters:
    ///   - keys: the stored values of the pool's cells, sorted ascending; only slots of `pool`.
    ///   - pool: the slots ranked together.
    ///   - cells: cells per slot (stored and zero).
    ///   - moments: the stored-value counts of `keys` (``SlotMoments/add(_:)``).
    ///   - doubledRankSums: receives twice the rank sum of every slot in `pool`.
    /// - Returns: Σ(t³ − t) over the tie blocks of the whole ranking.
    public static func pooled(
        sortedKeys keys: UnsafeBufferPointer<UInt64>, pool: [UInt32], cells: [Int], moments: SlotMoments,
        doubledRankSums: inout [Int64]
    ) -> Int64 {
        var total = 0
        for slot in pool {
            total += cells[Int(slot)]
            doubledRankSums[Int(slot)] = 0
        }
        let zeros = total - keys.count
        var position = 0
        var ties: Int64 = 0
        var zeroRank: Int64 = -1
        let n = keys.count
        var i = 0
        while i < n {
            let bits = RankKey.valueBits(keys[i])
            if zeroRank < 0 && !RankKey.isNegative(keys[i]) {
                zeroRank = Int64(2 * position + zeros + 1)
                position += zeros
                ties += tieTerm(zeros)
            }
            var j = i + 1
            while j < n && RankKey.valueBits(keys[j]) == bits { j += 1 }
            let rank = Int64(2 * position + (j - i) + 1)
            for k in i..<j { doubledRankSums[Int(RankKey.slot(keys[k]))] += rank }
            ties += tieTerm(j - i)
            position += j - i
            i = j
        }
        if zeroRank < 0 {
            zeroRank = Int64(2 * position + zeros + 1)
            ties += tieTerm(zeros)
        }
        for slot in pool {
            let s = Int(slot)
            doubledRankSums[s] += Int64(cells[s] - moments.nonzero[s]) * zeroRank
        }
        return ties
    }

    /// Ranks each group's cells together with the reference's cells only (scanpy's
    /// `reference=NAME`: one ranking per group), in a single walk over the sorted values.
    ///
    /// - Parameters:
    ///   - keys: stored values sorted ascending; slots that are neither a group nor the reference are skipped.
    ///   - reference: the reference slot.
    ///   - groups: the slots compared with it (not containing `reference`).
    ///   - cells: cells per slot.
    ///   - moments: per-slot stored and negative counts of `keys`.
    ///   - doubledRankSums: receives, for each group slot, twice its rank sum in its (group, reference) ranking.
    ///   - tieTerms: receives, for each group slot, Σ(t³ − t) over the tie blocks of that ranking.
    public static func againstReference(
        sortedKeys keys: UnsafeBufferPointer<UInt64>, reference: UInt32, groups: [UInt32], cells: [Int],
        moments: SlotMoments, scratch: inout WilcoxonScratch, doubledRankSums: inout [Int64], tieTerms: inout [Int64]
    ) {
        let r = Int(reference)
        for slot in groups {
            let g = Int(slot)
            scratch.role[g] = 1
            scratch.before[g] = 0
            scratch.zeroOffset[g] = 0
            doubledRankSums[g] = 0
            tieTerms[g] = 0
        }
        scratch.role[r] = 2
        scratch.before[r] = 0
        let referenceZeros = cells[r] - moments.nonzero[r]
        var referenceOnlyTies: Int64 = 0
        var zerosPlaced = false

        func placeZeros(_ scratch: inout WilcoxonScratch) {
            for slot in groups {
                let g = Int(slot)
                let groupZeros = cells[g] - moments.nonzero[g]
                let zeros = groupZeros + referenceZeros
                let rank = Int64(2 * (scratch.before[g] + scratch.before[r]) + zeros + 1)
                doubledRankSums[g] += Int64(groupZeros) * rank
                tieTerms[g] += tieTerm(zeros)
                scratch.zeroOffset[g] = zeros
            }
            zerosPlaced = true
        }

        let n = keys.count
        var i = 0
        while i < n {
            let bits = RankKey.valueBits(keys[i])
            if !zerosPlaced && !RankKey.isNegative(keys[i]) { placeZeros(&scratch) }
            var j = i
            while j < n && RankKey.valueBits(keys[j]) == bits {
                let s = Int(RankKey.slot(keys[j]))
                if scratch.role[s] != 0 {
                    if scratch.blockCount[s] == 0 { scratch.touched.append(UInt32(s)) }
                    scratch.blockCount[s] += 1
                }
                j += 1
            }
            if !scratch.touched.isEmpty {
                let inReference = scratch.blockCount[r]
                for slot in scratch.touched where scratch.role[Int(slot)] == 1 {
                    let g = Int(slot)
                    let inGroup = scratch.blockCount[g]
                    let rank = Int64(2 * (scratch.before[g] + scratch.before[r] + scratch.zeroOffset[g]) + inGroup + inReference + 1)
                    doubledRankSums[g] += Int64(inGroup) * rank
                    tieTerms[g] += tieTerm(inGroup + inReference) - tieTerm(inReference)
                }
                referenceOnlyTies += tieTerm(inReference)
                for slot in scratch.touched {
                    let s = Int(slot)
                    scratch.before[s] += scratch.blockCount[s]
                    scratch.blockCount[s] = 0
                }
                scratch.touched.removeAll(keepingCapacity: true)
            }
            i = j
        }
        if !zerosPlaced { placeZeros(&scratch) }
        for slot in groups {
            tieTerms[Int(slot)] += referenceOnlyTies
            scratch.role[Int(slot)] = 0
        }
        scratch.role[r] = 0
    }
}
