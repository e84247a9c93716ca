import SluiceKernels

/// One thread's working space for the per-gene tests: sorts a gene's stored values (per
/// stratum), sums them per slot, ranks them, and writes every comparison's score, p-value and
/// effect for that gene.
struct GeneTester {
    let plan: ComparisonPlan
    let method: DifferentialMethod
    let tieCorrect: Bool
    let effect: DifferentialEffect
    let cells: [Int]
    private var keys: [UInt64] = []
    private var sorter = RankKeySorter()
    private var strataStarts: [Int]
    private var moments: SlotMoments
    private var scratch: WilcoxonScratch
    private var doubledRankSums: [Int64]
    private var tieTerms: [Int64]

    init(plan: ComparisonPlan, slots: SlotTable, method: DifferentialMethod, tieCorrect: Bool, effect: DifferentialEffect) {
        self.plan = plan
        self.method = method
        self.tieCorrect = tieCorrect
        self.effect = effect
        cells = slots.cells
        strataStarts = [Int](repeating: 0, count: plan.strata.count + 1)
        moments = SlotMoments(slotCount: slots.count)
        scratch = WilcoxonScratch(slotCount: slots.count)
        doubledRankSums = [Int64](repeating: 0, count: slots.count)
        tieTerms = [Int64](repeating: 0, count: slots.count)
    }

    /// Tests gene `gene` whose stored values are `column` (sorted in place), writing into `statistics`.
    mutating func test(gene: Int, column: UnsafeMutableBufferPointer<UInt64>, into statistics: ComparisonStatistics) {
        if plan.isSingleStratum {
            strataStarts[0] = 0
            strataStarts[1] = column.count
            run(gene: gene, keys: column, into: statistics)
        } else {
            // Taken out of self while its buffer is borrowed, so that testing may mutate self.
            var keys = partition(UnsafeBufferPointer(column))
            keys.withUnsafeMutableBufferPointer { run(gene: gene, keys: $0, into: statistics) }
            self.keys = keys
        }
    }

    private mutating func run(gene: Int, keys: UnsafeMutableBufferPointer<UInt64>, into statistics: ComparisonStatistics) {
        for (index, stratum) in plan.strata.enumerated() {
            let segment = UnsafeMutableBufferPointer(rebasing: keys[strataStarts[index]..<strataStarts[index + 1]])
            if method == .wilcoxon { sorter.sort(segment) }
            moments.reset(stratum.slots)
            moments.add(UnsafeBufferPointer(segment))
            if method == .wilcoxon {
                rank(UnsafeBufferPointer(segment), stratum: stratum, gene: gene, into: statistics)
            } else {
                tTest(stratum: stratum, gene: gene, into: statistics)
            }
            effects(stratum: stratum, gene: gene, into: statistics)
        }
    }

    /// Tests gene `gene` from per-slot sums gathered while streaming (the t-tests need no ranks).
    mutating func test(gene: Int, sums: SlotGeneSums, into statistics: ComparisonStatistics) {
        for stratum in plan.strata {
            for slot in stratum.slots {
                let index = Int(slot) * sums.genes + gene
                moments.sum[Int(slot)] = sums.sums[index]
                moments.sumOfSquares[Int(slot)] = sums.squares[index]
            }
            tTest(stratum: stratum, gene: gene, into: statistics)
            effects(stratum: stratum, gene: gene, into: statistics)
        }
    }

    /// The effects (log₂ fold changes or mean differences) of the stratum's comparisons, from
    /// the slots' sums in `moments`.
    private func effects(stratum: ComparisonPlan.Stratum, gene: Int, into statistics: ComparisonStatistics) {
        for index in stratum.comparisons {
            let comparison = plan.comparisons[index]
            let groupMean = moments.sum[Int(comparison.groupSlot)] / Double(comparison.groupCells)
            var otherSum = 0.0
            for slot in comparison.otherSlots { otherSum += moments.sum[Int(slot)] }
            let otherMean = otherSum / Double(comparison.otherCells)
            statistics.effects[index * statistics.genes + gene] = effect.of(groupMean: groupMean, otherMean: otherMean)
        }
    }

    /// `column`'s keys grouped by stratum (cell order kept within each), keys of cells in no
    /// analysed stratum dropped; sets `strataStarts`. Returns the working array, taken out of self.
    private mutating func partition(_ column: UnsafeBufferPointer<UInt64>) -> [UInt64] {
        for index in strataStarts.indices { strataStarts[index] = 0 }
        for key in column {
            let stratum = plan.stratumIndexOfSlot[Int(RankKey.slot(key))]
            if stratum >= 0 { strataStarts[Int(stratum) + 1] += 1 }
        }
        for index in 1..<strataStarts.count { strataStarts[index] += strataStarts[index - 1] }
        var keys = self.keys
        self.keys = []
        keys.removeAll(keepingCapacity: true)
        keys.append(contentsOf: repeatElement(0, count: strataStarts.last!))
        var next = strataStarts
        for key in column {
            let stratum = plan.stratumIndexOfSlot[Int(RankKey.slot(key))]
            if stratum >= 0 {
                keys[next[Int(stratum)]] = key
                next[Int(stratum)] += 1
            }
        }
        return keys
    }

    private mutating func rank(_ segment: UnsafeBufferPointer<UInt64>, stratum: ComparisonPlan.Stratum, gene: Int, into statistics: ComparisonStatistics) {
        if let reference = stratum.referenceSlot {
            WilcoxonRankSums.againstReference(
                sortedKeys: segment, reference: reference, groups: stratum.groupSlots, cells: cells, moments: moments,
                scratch: &scratch, doubledRankSums: &doubledRankSums, tieTerms: &tieTerms)
            for index in stratum.comparisons {
                let comparison = plan.comparisons[index]
                let slot = Int(comparison.groupSlot)
                let coefficient =
                    tieCorrect
                    ? RankSumStatistics.tieCoefficient(tieTerm: tieTerms[slot], cells: comparison.groupCells + comparison.otherCells) : nil
                let z = RankSumStatistics.zScoreAgainstReference(
                    doubledRankSum: doubledRankSums[slot], groupCells: comparison.groupCells, referenceCells: comparison.otherCells,
                    tieCoefficient: coefficient)
                statistics.scores[index * statistics.genes + gene] = z
                statistics.pValues[index * statistics.genes + gene] = NormalDistribution.twoSidedPValue(z)
            }
        } else {
            let ties = WilcoxonRankSums.pooled(
                sortedKeys: segment, pool: stratum.slots, cells: cells, moments: moments, doubledRankSums: &doubledRankSums)
            let coefficient = tieCorrect ? RankSumStatistics.tieCoefficient(tieTerm: ties, cells: stratum.cells) : nil
            for index in stratum.comparisons {
                let comparison = plan.comparisons[index]
                let z = RankSumStatistics.zScoreAgainstRest(
                    doubledRankSum: doubledRankSums[Int(comparison.groupSlot)], groupCells: comparison.groupCells,
                    totalCells: stratum.cells, tieCoefficient: coefficient)
                statistics.scores[index * statistics.genes + gene] = z
                statistics.pValues[index * statistics.genes + gene] = NormalDistribution.twoSidedPValue(z)
            }
        }
    }

    private func tTest(stratum: ComparisonPlan.Stratum, gene: Int, into statistics: ComparisonStatistics) {
        for index in stratum.comparisons {
            let comparison = plan.comparisons[index]
            let slot = Int(comparison.groupSlot)
            let group = GroupMeans.meanAndVariance(
                sum: moments.sum[slot], sumOfSquares: moments.sumOfSquares[slot], count: comparison.groupCells)
            var sum = 0.0
            var squares = 0.0
            for other in comparison.otherSlots {
                sum += moments.sum[Int(other)]
                squares += moments.sumOfSquares[Int(other)]
            }
            let other = GroupMeans.meanAndVariance(sum: sum, sumOfSquares: squares, count: comparison.otherCells)
            let otherCount = method == .tTest ? comparison.otherCells : comparison.groupCells
            let result = WelchTTest.test(
                mean1: group.mean, variance1: group.variance, count1: comparison.groupCells,
                mean2: other.mean, variance2: other.variance, count2: otherCount)
            statistics.scores[index * statistics.genes + gene] = result.statistic
            statistics.pValues[index * statistics.genes + gene] = result.pValue
        }
    }
}
