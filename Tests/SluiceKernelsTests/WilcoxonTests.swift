import Foundation
import SluiceFormats
import SluiceKernels
import Testing

/// The differential-expression kernels: rank sums from non-zero values only equal a naive dense
/// ranking of every cell, and the statistics equal scipy's / statsmodels' numbers (reference
/// values printed by scipy 1.13.1 and statsmodels 0.15.0 from the project's .venv).
@Suite("Wilcoxon rank sums and scanpy's statistics")
struct WilcoxonTests {
    /// Average ranks (1-based) of `values`, as `scipy.stats.rankdata`, and Σ(t³ − t) over ties.
    static func denseRanks(_ values: [Float]) -> (ranks: [Double], ties: Int64) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var ties: Int64 = 0
        var i = 0
        while i < order.count {
            var j = i + 1
            while j < order.count && values[order[j]] == values[order[i]] { j += 1 }
            let average = Double(i + 1 + j) / 2
            for k in i..<j { ranks[order[k]] = average }
            let t = Int64(j - i)
            ties += t * t * t - t
            i = j
        }
        return (ranks, ties)
    }

    /// A random cells' column: slots, values with many zeros, ties and (sometimes) negatives.
    struct RandomColumn {
        var slots: [UInt32]
        var values: [Float]
        var slotCount: Int

        init(_ random: inout SeededGenerator) {
            let cells = 1 + Int(random.next() % 60)
            slotCount = 1 + Int(random.next() % 5)
            let zeroShare = random.unit()
            let negatives = random.next() % 3 == 0
            let palette: [Float] = [0.5, 1, 1, 2.25, 3, 7.5] + (negatives ? [-0.25, -1, -1, -3] : [])
            slots = []
            values = []
            let slotCount = self.slotCount
            for _ in 0..<cells {
                slots.append(UInt32(random.next() % UInt64(slotCount)))
                if random.unit() < zeroShare {
                    values.append(0)
                } else if random.next() % 4 == 0 {
                    values.append(Float(random.unit() * 10 - (negatives ? 5 : 0)))
                } else {
                    values.append(palette[Int(random.next() % UInt64(palette.count))])
                }
            }
        }

        var cellsPerSlot: [Int] {
            var cells = [Int](repeating: 0, count: slotCount)
            for slot in slots { cells[Int(slot)] += 1 }
            return cells
        }

        /// The sorted keys of the non-zero values of cells whose slot passes `keep`.
        func sortedKeys(_ keep: (UInt32) -> Bool = { _ in true }) -> [UInt64] {
            zip(values, slots).filter { $0.0 != 0 && keep($0.1) }.map { RankKey.make($0.0, slot: $0.1) }.sorted()
        }
    }

    @Test("ranking only non-zeros equals dense ranking of every cell (rest)", arguments: 0..<300)
    func pooledEqualsDense(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed) &* 0x9E37_79B9 &+ 1)
        let column = RandomColumn(&random)
        let keys = column.sortedKeys()
        var moments = SlotMoments(slotCount: column.slotCount)
        keys.withUnsafeBufferPointer { moments.add($0) }
        var sums = [Int64](repeating: 0, count: column.slotCount)
        let pool = (0..<column.slotCount).map { UInt32($0) }
        let ties = keys.withUnsafeBufferPointer {
            WilcoxonRankSums.pooled(sortedKeys: $0, pool: pool, cells: column.cellsPerSlot, moments: moments, doubledRankSums: &sums)
        }
        let dense = Self.denseRanks(column.values)
        #expect(ties == dense.ties)
        for slot in 0..<column.slotCount {
            let expected = zip(dense.ranks, column.slots).filter { Int($0.1) == slot }.reduce(0.0) { $0 + $1.0 }
            #expect(Double(sums[slot]) / 2 == expected, "slot \(slot)")
        }
    }

    @Test("group-against-reference rank sums equal dense ranking of the two groups", arguments: 0..<300)
    func referenceEqualsDense(seed: Int) {
        var random = SeededGenerator(seed: UInt64(seed) &* 0x2545_F491 &+ 7)
        let column = RandomColumn(&random)
        guard column.slotCount >= 2 else { return }
        let reference = UInt32(random.next() % UInt64(column.slotCount))
        // Some slots take no part (neither a group nor the reference): their values must be ignored.
        let groups = (0..<UInt32(column.slotCount)).filter { $0 != reference && random.next() % 4 != 0 }
        let keys = column.sortedKeys()
        var moments = SlotMoments(slotCount: column.slotCount)
        keys.withUnsafeBufferPointer { moments.add($0) }
        var scratch = WilcoxonScratch(slotCount: column.slotCount)
        var sums = [Int64](repeating: 0, count: column.slotCount)
        var ties = [Int64](repeating: 0, count: column.slotCount)
        keys.withUnsafeBufferPointer {
            WilcoxonRankSums.againstReference(
                sortedKeys: $0, reference: reference, groups: groups, cells: column.cellsPerSlot, moments: moments,
                scratch: &scratch, doubledRankSums: &sums, tieTerms: &ties)
        }
        for group in groups {
            let members = column.slots.indices.filter { column.slots[$0] == group || column.slots[$0] == reference }
            let dense = Self.denseRanks(members.map { column.values[$0] })
            let expected = zip(dense.ranks, members).filter { column.slots[$0.1] == group }.reduce(0.0) { $0 + $1.0 }
            #expect(Double(sums[Int(group)]) / 2 == expected, "group \(group) vs \(reference)")
            #expect(ties[Int(group)] == dense.ties, "ties of group \(group) vs \(reference)")
        }
    }

    @Test("scratch space is left clean for the next gene")
    func scratchReuse() {
        var random = SeededGenerator(seed: 42)
        var scratch = WilcoxonScratch(slotCount: 5)
        for _ in 0..<50 {
            var column = RandomColumn(&random)
            column.slotCount = 5
            column.slots = column.slots.map { _ in UInt32(random.next() % 5) }
            let keys = column.sortedKeys()
            var moments = SlotMoments(slotCount: 5)
            keys.withUnsafeBufferPointer { moments.add($0) }
            var reused = ([Int64](repeating: 0, count: 5), [Int64](repeating: 0, count: 5))
            var fresh = reused
            var freshScratch = WilcoxonScratch(slotCount: 5)
            keys.withUnsafeBufferPointer {
                WilcoxonRankSums.againstReference(
                    sortedKeys: $0, reference: 0, groups: [1, 2, 3], cells: column.cellsPerSlot,
                    moments: moments, scratch: &scratch, doubledRankSums: &reused.0, tieTerms: &reused.1)
                WilcoxonRankSums.againstReference(
                    sortedKeys: $0, reference: 0, groups: [1, 2, 3], cells: column.cellsPerSlot,
                    moments: moments, scratch: &freshScratch, doubledRankSums: &fresh.0, tieTerms: &fresh.1)
            }
            #expect(reused.0 == fresh.0 && reused.1 == fresh.1)
        }
    }

    @Test("keys sort as their values and give them back")
    func keysOrderValues() {
        var random = SeededGenerator(seed: 3)
        let values: [Float] = (0..<2_000).map { _ in Float(random.unit() * 200 - 100) } + [.infinity, -.infinity, 1e-30, -1e-30]
        let keys = values.enumerated().map { RankKey.make($1, slot: UInt32($0)) }
        for (key, value) in zip(keys, values) { #expect(RankKey.value(key) == value && RankKey.isNegative(key) == (value < 0)) }
        #expect(keys.sorted().map(RankKey.value) == values.sorted())
        #expect(RankKey.slot(RankKey.make(-2.5, slot: 123_456)) == 123_456)
    }

    @Test("the radix sorter orders keys by value like a comparison sort", arguments: [0, 1, 63, 64, 65, 1_000, 20_000])
    func radixSort(count: Int) {
        var random = SeededGenerator(seed: UInt64(count) + 11)
        var sorter = RankKeySorter()
        for round in 0..<3 {
            // Round 0: few distinct values (many ties); 1: random floats of both signs; 2: one value.
            let keys: [UInt64] = (0..<count).map { index in
                let value: Float =
                    switch round {
                    case 0: Float(1 + random.next() % 5) * 0.5
                    case 1: Float(random.unit() * 2e4 - 1e4) * (random.next() % 2 == 0 ? 1e-6 : 1)
                    default: 3.25
                    }
                return RankKey.make(value == 0 ? 1 : value, slot: UInt32(index))
            }
            var sorted = keys
            sorted.withUnsafeMutableBufferPointer { sorter.sort($0) }
            #expect(sorted.map(RankKey.value) == keys.map(RankKey.value).sorted(), "round \(round)")
            #expect(sorted.sorted() == keys.sorted(), "round \(round): same keys")
        }
    }

    @Test("z-scores follow scanpy's formulas; no variance gives 0")
    func zScores() {
        // Group of 3 with ranks 4, 5, 6 among 6 cells: R = 15, mean 10.5, sd sqrt(3·3·7/12).
        let z = RankSumStatistics.zScoreAgainstRest(doubledRankSum: 30, groupCells: 3, totalCells: 6, tieCoefficient: nil)
        #expect(abs(z - 4.5 / (63.0 / 12).squareRoot()) < 1e-15)
        let reference = RankSumStatistics.zScoreAgainstReference(doubledRankSum: 30, groupCells: 3, referenceCells: 3, tieCoefficient: nil)
        #expect(reference == z)
        // All values tied: tie coefficient 0, variance 0 → NaN → 0.
        let coefficient = RankSumStatistics.tieCoefficient(tieTerm: 6 * 6 * 6 - 6, cells: 6)
        #expect(coefficient == 0)
        #expect(RankSumStatistics.zScoreAgainstRest(doubledRankSum: 21, groupCells: 3, totalCells: 6, tieCoefficient: coefficient) == 0)
        #expect(RankSumStatistics.tieCoefficient(tieTerm: 0, cells: 1) == 1)
    }

    @Test(
        "two-sided normal p-values equal scipy's 2·norm.sf(|z|)",
        arguments: [
            (0.0, 1.0), (0.5, 0.6170750774519738), (-1.2, 0.23013934044341644), (1.959963984540054, 0.05),
            (5.0, 5.733031437583866e-07), (-10.0, 1.523970604832094e-23), (37.5, 9.210706019163908e-308), (38.0, 0.0), (40.0, 0.0),
        ])
    func normalPValues(z: Double, expected: Double) {
        let p = NormalDistribution.twoSidedPValue(z)
        #expect(p == expected || abs(p - expected) <= 1e-12 * expected, "z = \(z): \(p) vs \(expected)")
    }

    @Test("Benjamini–Hochberg equals statsmodels' fdr_bh (ties, NaN as 1)")
    func benjaminiHochberg() {
        let adjusted = FalseDiscoveryRate.benjaminiHochberg([0.01, 0.04, 0.04, 0.03, 0.5, 1.0, 0.002, .nan])
        let expected = [0.04, 0.064, 0.064, 0.064, 0.6666666666666666, 1.0, 0.016, 1.0]
        #expect(adjusted == expected)
        #expect(FalseDiscoveryRate.benjaminiHochberg([]) == [])
    }

    @Test(
        "Welch's t-test equals scipy's ttest_ind_from_stats, with scanpy's NaN handling",
        arguments: [
            ((1.5, 0.7, 40, 1.1, 0.9, 300), (2.793721183078312, 0.007223088081667185)),
            ((2.0, 0.25, 5, 0.5, 4.0, 12), (2.4227185592617446, 0.02989225953700577)),
            ((0.0, 0.0, 10, 0.0, 0.0, 20), (0.0, 1.0)),
            ((1.0, 0.0, 10, 0.0, 0.0, 20), (Double.infinity, 0.0)),
        ])
    func welch(input: (Double, Double, Int, Double, Double, Int), expected: (Double, Double)) {
        let result = WelchTTest.test(
            mean1: input.0, variance1: input.1, count1: input.2, mean2: input.3, variance2: input.4, count2: input.5)
        #expect(result.statistic == expected.0 || abs(result.statistic - expected.0) <= 1e-14 * abs(expected.0))
        #expect(result.pValue == expected.1 || abs(result.pValue - expected.1) <= 1e-12 * expected.1)
    }

    @Test("normalize_total + log1p reproduces scanpy's float32 bits")
    func normalization() {
        var values: [Float] = [1, 2, 3, 7, 250]
        values.withUnsafeMutableBufferPointer { LogNormalizer.normalizeLog1p($0) }
        #expect(values.map(\.bitPattern) == [0x406a_8160, 0x408b_054e, 0x4097_db5c, 0x40b2_cfa4, 0x4112_8e59])
    }

    @Test("group means and variances as scanpy's _get_mean_var; fold changes of expm1 means")
    func means() {
        // Values 1, 2, 0, 0: mean 0.75, unbiased variance 0.9166….
        let summary = GroupMeans.meanAndVariance(sum: 3, sumOfSquares: 5, count: 4)
        #expect(summary.mean == 0.75)
        #expect(abs(summary.variance - 11.0 / 12) < 1e-15)
        #expect(GroupMeans.meanAndVariance(sum: 2, sumOfSquares: 4, count: 1).variance == 0)
        #expect(GroupMeans.log2FoldChange(groupMean: 0, restMean: 0) == 0)
        #expect(abs(GroupMeans.log2FoldChange(groupMean: log(4.0), restMean: log(2.0)) - log2((3 + 1e-9) / (1 + 1e-9))) < 1e-15)
    }
}
