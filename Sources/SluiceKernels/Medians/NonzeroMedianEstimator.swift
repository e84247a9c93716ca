public import SluiceFormats

/// Exact per-gene medians of non-zero values, over data streamed several times, in bounded memory.
///
/// Geneformer scales each gene by its median non-zero normalized expression across the dataset.
/// Holding every non-zero value (1.6 billion for a million cells) would not fit, so the median is
/// found by narrowing, one streaming pass at a time:
///
/// 1. **Histogram pass.** Each gene's values are counted into log-spaced bins (8 per power of
///    two, read straight off the value's exponent and top mantissa bits). The bins holding the
///    middle rank(s) give an interval that contains the median, and how many values lie below it.
///    Only counts are kept (no per-gene minimum or maximum: the counting is the hot loop); an
///    interval in the open-ended top bin (values ≥ 2⁴⁰) is collected, never refined.
/// 2. **Refine passes** (only when the values inside those intervals, over all genes, exceed
///    `valueBudget`). The largest intervals are split into 256 uniform sub-bins and narrowed
///    again; an interval whose values are all equal resolves the median at once.
/// 3. **Collect pass.** The values inside each gene's interval are kept, the middle one(s)
///    selected, and the median is read off exactly — the mean of the two middle values for an
///    even count, as `numpy.median` computes it.
///
/// The result is exact (bit-identical to `numpy.median` on the same doubles). Memory is 640
/// counters per gene plus about `valueBudget` collected values (after three refine passes the
/// values left are collected whatever their number; real data never gets there). Call ``add(gene:value:)`` for
/// every non-zero value in each pass, then ``finishPass()``; repeat while it returns `true`.
public final class NonzeroMedianEstimator {
    /// What the next pass does.
    public enum Phase: Sendable, Equatable {
        case histogram, refine, collect, done

        fileprivate var code: Int {
            switch self {
            case .histogram: 0
            case .refine: 1
            case .collect: 2
            case .done: 3
            }
        }

        fileprivate init?(code: Int) {
            switch code {
            case 0: self = .histogram
            case 1: self = .refine
            case 2: self = .collect
            case 3: self = .done
            default: return nil
            }
        }
    }

    /// What the pass being fed does; `.done` once every median is known.
    public private(set) var phase = Phase.histogram
    /// Number of passes finished so far.
    public private(set) var passes = 0
    /// Number of genes; `gene` arguments are in `0..<geneCount`.
    public let geneCount: Int
    private let valueBudget: Int

    // Histogram pass.
    private static let octaves = 80
    private static let minimumExponent = -40
    private static let subBins = 8
    private static let logBins = octaves * subBins
    private var logCounts: [UInt32]

    // Per-gene state after the histogram pass.
    private var total: [Int]
    private var lower: [Double]
    private var upper: [Double]
    /// Values strictly below `lower`.
    private var below: [Int]
    /// Values in `[lower, upper)`.
    private var inside: [Int]
    private var median: [Double?]

    // Refine passes.
    /// Genes per cache block in ``add(genes:values:)`` (128 × 640 counters = 320 KB).
    private static let blockShift = 7
    private var sortedGenes: [Int32] = []
    private var sortedValues: [Double] = []

    private static let refineBins = 256
    private static let maximumRefinePasses = 3
    private var refinePasses = 0
    /// For each gene, its slot in `refineCounts`, or −1 when it is not being refined.
    private var refineSlot: [Int32]
    private var refining: [Int] = []
    private var refineCounts: [UInt32] = []
    private var refineMinimum: [Double] = []
    private var refineMaximum: [Double] = []

    // Collect pass: each open gene's values inside its interval, in a region of `collected`
    // sized by the count the histogram gave (`collectStart[gene]..<collectStart[gene + 1]`),
    // filled up to `collectNext[gene]`.
    private var collected: [Double] = []
    private var collectStart: [Int] = []
    private var collectNext: [Int] = []

    /// An estimator for `geneCount` genes that refines intervals while more than `valueBudget`
    /// values would be collected (at most three refine passes).
    public init(geneCount: Int, valueBudget: Int = 24 << 20) {
        precondition(geneCount * Self.logBins <= Int(Int32.max), "histogram counters are indexed by 32-bit integers")
        self.geneCount = geneCount
        self.valueBudget = valueBudget
        logCounts = [UInt32](repeating: 0, count: geneCount * Self.logBins)
        total = [Int](repeating: 0, count: geneCount)
        lower = [Double](repeating: 0, count: geneCount)
        upper = [Double](repeating: 0, count: geneCount)
        below = [Int](repeating: 0, count: geneCount)
        inside = [Int](repeating: 0, count: geneCount)
        median = [Double?](repeating: nil, count: geneCount)
        refineSlot = [Int32](repeating: -1, count: geneCount)
    }

    /// Puts everything a later pass needs into `archive` (sections named `prefix`…), at a point
    /// between two ``add(_:)`` calls: restored with ``restore(from:prefix:)``, the estimator goes on
    /// as if it had never stopped. About 2.6 KB a gene in the histogram pass, far less later.
    public func save(into archive: inout StateArchive, prefix: String) throws {
        try archive.put(prefix + "scalars", json: [phase.code, passes, refinePasses, valueBudget, geneCount])
        archive.put(prefix + "logCounts", logCounts)
        archive.put(prefix + "total", total)
        archive.put(prefix + "lower", lower)
        archive.put(prefix + "upper", upper)
        archive.put(prefix + "below", below)
        archive.put(prefix + "inside", inside)
        archive.put(prefix + "median", optionals: median)
        archive.put(prefix + "refineSlot", refineSlot)
        archive.put(prefix + "refining", refining)
        archive.put(prefix + "refineCounts", refineCounts)
        archive.put(prefix + "refineMinimum", refineMinimum)
        archive.put(prefix + "refineMaximum", refineMaximum)
        archive.put(prefix + "collected", collected)
        archive.put(prefix + "collectStart", collectStart)
        archive.put(prefix + "collectNext", collectNext)
    }

    /// Replaces this estimator's state with what ``save(into:prefix:)`` put into `archive`, which
    /// an estimator for as many genes and the same value budget made.
    public func restore(from archive: StateArchive, prefix: String) throws {
        let scalars = try archive.json(prefix + "scalars", as: [Int].self)
        guard scalars.count == 5, let phase = Phase(code: scalars[0]), scalars[3] == valueBudget, scalars[4] == geneCount else {
            throw FormatError(.corruptData, path: prefix, "the median estimator's saved state is for other genes or settings")
        }
        let medians = try archive.optionals(prefix + "median")
        let total = try archive.array(prefix + "total", of: Int.self)
        guard medians.count == geneCount, total.count == geneCount else {
            throw FormatError(.corruptData, path: prefix, "the median estimator's saved state is for another number of genes")
        }
        self.phase = phase
        passes = scalars[1]
        refinePasses = scalars[2]
        logCounts = try archive.array(prefix + "logCounts")
        self.total = total
        lower = try archive.array(prefix + "lower")
        upper = try archive.array(prefix + "upper")
        below = try archive.array(prefix + "below")
        inside = try archive.array(prefix + "inside")
        median = medians
        refineSlot = try archive.array(prefix + "refineSlot")
        refining = try archive.array(prefix + "refining")
        refineCounts = try archive.array(prefix + "refineCounts")
        refineMinimum = try archive.array(prefix + "refineMinimum")
        refineMaximum = try archive.array(prefix + "refineMaximum")
        collected = try archive.array(prefix + "collected")
        collectStart = try archive.array(prefix + "collectStart")
        collectNext = try archive.array(prefix + "collectNext")
    }

    /// The medians once ``phase`` is `.done`; `nil` for a gene with no non-zero value.
    public var medians: [Double?] {
        precondition(phase == .done, "medians are known once every pass is finished")
        return median
    }

    /// Counts one non-zero, positive value of `gene` in the current pass.
    ///
    /// For many values, ``add(genes:values:)`` is much faster: it groups them by gene first.
    public func add(gene: Int, value: Double) {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1) { genes in
            genes[0] = Int32(gene)
            withUnsafeTemporaryAllocation(of: Double.self, capacity: 1) { values in
                values[0] = value
                add(genes: UnsafeBufferPointer(genes), values: UnsafeBufferPointer(values))
            }
        }
    }

    /// Counts the non-zero, positive `values[i]` of genes `genes[i]` in the current pass.
    public func add(genes: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Double>) {
        add([(genes, values)])
    }

    /// Counts the values of several parts (e.g. one per worker thread) in the current pass, as
    /// if they were added one after another.
    ///
    /// The histogram holds 640 counters per gene — 51 MB for 20,000 genes — so counting values in
    /// the order cells deliver them would miss the cache on nearly every value. The values are
    /// first grouped into blocks of 128 genes (a counting sort, each part scattered on its own
    /// thread into its own places), so each block's counters stay in cache while its values are
    /// counted; then two threads count, each its own half of the blocks. In the histogram pass
    /// only each value's counter index is scattered (4 bytes, not the 12 of gene and value).
    public func add(_ parts: [(genes: UnsafeBufferPointer<Int32>, values: UnsafeBufferPointer<Double>)]) {
        for part in parts { precondition(part.genes.count == part.values.count, "one gene per value") }
        let count = parts.reduce(0) { $0 + $1.genes.count }
        guard phase != .done, count > 0 else { return }
        let blockCount = (geneCount >> Self.blockShift) + 1
        let histogram = phase == .histogram
        if sortedGenes.count < count { sortedGenes = [Int32](repeating: 0, count: count) }
        if !histogram, sortedValues.count < count { sortedValues = [Double](repeating: 0, count: count) }
        let inputs = parts.map { (genes: SharedPointer(reading: $0.genes), values: SharedPointer(reading: $0.values), count: $0.genes.count) }
        let threads = count >= Self.parallelMinimum ? parts.count : 1
        // next[part * blockCount + block]: where the part's next value of the block goes.
        var next = [Int](repeating: 0, count: parts.count * blockCount)
        // blockEnds[block]: where the block ends once every part is scattered.
        var blockEnds = [Int](repeating: 0, count: blockCount)
        next.withUnsafeMutableBufferPointer { next in
            let next = SharedPointer(next)
            ParallelFor.run(parts.count, parts: threads) { _, partRange in
                for part in partRange {
                    let input = inputs[part]
                    for i in 0..<input.count { next[part * blockCount + (Int(input.genes[i]) >> Self.blockShift)] += 1 }
                }
            }
            var position = 0
            for block in 0..<blockCount {
                for part in 0..<parts.count {
                    let partCount = next[part * blockCount + block]
                    next[part * blockCount + block] = position
                    position += partCount
                }
                blockEnds[block] = position
            }
            sortedGenes.withUnsafeMutableBufferPointer { outGenes in
                sortedValues.withUnsafeMutableBufferPointer { outValues in
                    let (outGenes, outValues) = (SharedPointer(outGenes), SharedPointer(outValues))
                    ParallelFor.run(parts.count, parts: threads) { _, partRange in
                        for part in partRange {
                            let input = inputs[part]
                            if histogram {
                                for i in 0..<input.count {
                                    let gene = Int(input.genes[i])
                                    let cursor = part * blockCount + (gene >> Self.blockShift)
                                    let slot = next[cursor]
                                    next[cursor] = slot + 1
                                    outGenes[slot] = Int32(truncatingIfNeeded: gene * Self.logBins + Self.logBin(input.values[i]))
                                }
                            } else {
                                for i in 0..<input.count {
                                    let gene = input.genes[i]
                                    let cursor = part * blockCount + (Int(gene) >> Self.blockShift)
                                    let slot = next[cursor]
                                    next[cursor] = slot + 1
                                    outGenes[slot] = gene
                                    outValues[slot] = input.values[i]
                                }
                            }
                        }
                    }
                }
            }
        }
        // Blocks are gene ranges, so the first half of the sorted values and the second touch
        // different genes' counters: two threads count them at once.
        let middle = blockEnds.first { $0 >= count / 2 } ?? count
        let halves = count >= Self.parallelMinimum ? [0..<middle, middle..<count] : [0..<count]
        sortedGenes.withUnsafeBufferPointer { genes in
            sortedValues.withUnsafeBufferPointer { values in
                switch phase {
                case .histogram: countHistogram(UnsafeBufferPointer(rebasing: genes[0..<count]), halves)
                case .refine: countRefine(SortedValues(genes: genes, values: values), halves)
                case .collect: collect(SortedValues(genes: genes, values: values), halves)
                case .done: break
                }
            }
        }
    }

    /// Which values the current pass counts, for threads to drop the others before calling
    /// ``add(genes:values:)``. Valid until ``finishPass()``.
    public var passFilter: MedianPassFilter {
        switch phase {
        case .histogram: MedianPassFilter(keepsAll: true, lower: [], upper: [], refineSlot: [])
        case .refine: MedianPassFilter(keepsAll: false, lower: lower, upper: upper, refineSlot: refineSlot)
        case .collect, .done: MedianPassFilter(keepsAll: false, lower: lower, upper: upper, refineSlot: [])
        }
    }

    /// Fewer values than this are counted on the calling thread alone.
    private static let parallelMinimum = 1 << 16

    /// The values of one ``add(genes:values:)`` grouped by gene block, shared read-only by the
    /// counting threads.
    private struct SortedValues: @unchecked Sendable {
        // @unchecked: raw buffer pointers, only read while the counting threads run.
        let genes: UnsafeBufferPointer<Int32>
        let values: UnsafeBufferPointer<Double>
    }

    /// Counts each of `indices` (a gene's first counter plus the value's log bin).
    private func countHistogram(_ indices: UnsafeBufferPointer<Int32>, _ halves: [Range<Int>]) {
        logCounts.withUnsafeMutableBufferPointer { counts in
            let (counts, indices) = (SharedPointer(counts), SharedPointer(reading: indices))
            ParallelFor.run(parts: halves.count) { half in
                for i in halves[half] { counts[Int(indices[i])] &+= 1 }
            }
        }
    }

    private func countRefine(_ sorted: SortedValues, _ halves: [Range<Int>]) {
        refineSlot.withUnsafeMutableBufferPointer { slots in
            lower.withUnsafeMutableBufferPointer { lower in
                upper.withUnsafeMutableBufferPointer { upper in
                    refineCounts.withUnsafeMutableBufferPointer { counts in
                        refineMinimum.withUnsafeMutableBufferPointer { minimum in
                            refineMaximum.withUnsafeMutableBufferPointer { maximum in
                                let (slots, lower, upper) = (SharedPointer(slots), SharedPointer(lower), SharedPointer(upper))
                                let (counts, minimum, maximum) = (SharedPointer(counts), SharedPointer(minimum), SharedPointer(maximum))
                                ParallelFor.run(parts: halves.count) { half in
                                    for i in halves[half] {
                                        let g = Int(sorted.genes[i])
                                        let value = sorted.values[i]
                                        let slot = Int(slots[g])
                                        guard slot >= 0, value >= lower[g], value < upper[g] else { continue }
                                        let bin = Self.refineBin(value, lower: lower[g], upper: upper[g])
                                        counts[slot * Self.refineBins + bin] &+= 1
                                        if value < minimum[slot] { minimum[slot] = value }
                                        if value > maximum[slot] { maximum[slot] = value }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private func collect(_ sorted: SortedValues, _ halves: [Range<Int>]) {
        lower.withUnsafeMutableBufferPointer { lower in
            upper.withUnsafeMutableBufferPointer { upper in
                collected.withUnsafeMutableBufferPointer { kept in
                    collectStart.withUnsafeMutableBufferPointer { start in
                        collectNext.withUnsafeMutableBufferPointer { next in
                            let (lower, upper, kept) = (SharedPointer(lower), SharedPointer(upper), SharedPointer(kept))
                            let (start, next) = (SharedPointer(start), SharedPointer(next))
                            ParallelFor.run(parts: halves.count) { half in
                                // Resolved genes have an empty interval (lower = upper = 0) once collecting starts.
                                for i in halves[half] {
                                    let g = Int(sorted.genes[i])
                                    let value = sorted.values[i]
                                    guard value >= lower[g], value < upper[g] else { continue }
                                    let slot = next[g]
                                    precondition(slot < start[g + 1], "gene \(g) has more values in its interval than its histogram counted")
                                    kept[slot] = value
                                    next[g] = slot + 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Ends a pass; returns `true` when another pass over the same values is needed.
    public func finishPass() -> Bool {
        passes += 1
        switch phase {
        case .histogram: finishHistogram()
        case .refine: finishRefine()
        case .collect: finishCollect()
        case .done: break
        }
        return phase != .done
    }

    // MARK: Passes

    private func finishHistogram() {
        for gene in 0..<geneCount {
            let counts = logCounts[(gene * Self.logBins)..<((gene + 1) * Self.logBins)]
            let n = counts.reduce(0) { $0 + Int($1) }
            total[gene] = n
            guard n > 0 else { continue }
            let (firstBin, lastBin, countBelow, inInterval) = Self.locateMiddle(counts, below: 0, total: n)
            below[gene] = countBelow
            inside[gene] = inInterval
            // The last bin's upper edge is infinite: such an interval is collected, never refined.
            lower[gene] = Self.lowerEdge(firstBin)
            upper[gene] = Self.lowerEdge(lastBin + 1)
        }
        logCounts = []
        planNextPass()
    }

    private func finishRefine() {
        for gene in refining {
            let slot = Int(refineSlot[gene])
            refineSlot[gene] = -1
            let counts = refineCounts[(slot * Self.refineBins)..<((slot + 1) * Self.refineBins)]
            if refineMinimum[slot] == refineMaximum[slot] {
                // Every value in the interval is the same number: it is the median.
                median[gene] = refineMinimum[slot]
                continue
            }
            let width = (upper[gene] - lower[gene]) / Double(Self.refineBins)
            let (firstBin, lastBin, countBelow, inInterval) = Self.locateMiddle(counts, below: below[gene], total: total[gene])
            let oldLower = lower[gene]
            below[gene] = countBelow
            inside[gene] = inInterval
            lower[gene] = max(oldLower + Double(firstBin) * width, refineMinimum[slot])
            upper[gene] = lastBin == Self.refineBins - 1 ? upper[gene] : oldLower + Double(lastBin + 1) * width
            upper[gene] = min(upper[gene], refineMaximum[slot].nextUp)
        }
        refining = []
        refineCounts = []
        refineMinimum = []
        refineMaximum = []
        planNextPass()
    }

    /// Selects each gene's middle collected value(s) (two threads, each on genes holding about
    /// half of them) and reads the median off.
    private func finishCollect() {
        for gene in 0..<geneCount {
            precondition(collectNext[gene] == collectStart[gene + 1], "gene \(gene) has fewer values in its interval than its histogram counted")
        }
        let values = collected.count
        let middle = collectStart.firstIndex { $0 >= values / 2 } ?? geneCount
        let split = min(middle, geneCount)
        let halves = values >= Self.parallelMinimum ? [0..<split, split..<geneCount] : [0..<geneCount]
        collected.withUnsafeMutableBufferPointer { collected in
            median.withUnsafeMutableBufferPointer { median in
                total.withUnsafeMutableBufferPointer { total in
                    below.withUnsafeMutableBufferPointer { below in
                        collectStart.withUnsafeMutableBufferPointer { start in
                            let (collected, median, total, below) = (SharedPointer(collected), SharedPointer(median), SharedPointer(total), SharedPointer(below))
                            let start = SharedPointer(start)
                            ParallelFor.run(parts: halves.count) { half in
                                for gene in halves[half] where start[gene + 1] > start[gene] {
                                    let (low, high) = Self.middleRanks(total[gene])
                                    var values = UnsafeMutableBufferPointer(start: collected.base! + start[gene], count: start[gene + 1] - start[gene])
                                    // Selecting the lower middle value leaves the larger ones after it.
                                    let a = values.selectNthSmallest(low - below[gene])
                                    median[gene] = high == low ? a : (a + values[(high - below[gene])...].min()!) / 2
                                }
                            }
                        }
                    }
                }
            }
        }
        collected = []
        collectStart = []
        collectNext = []
        phase = .done
    }

    /// Collects when the unresolved intervals fit the budget; otherwise refines the largest.
    private func planNextPass() {
        let open = (0..<geneCount).filter { total[$0] > 0 && median[$0] == nil }
        guard !open.isEmpty else {
            phase = .done
            return
        }
        var pending = open.reduce(0) { $0 + inside[$1] }
        // Each refine pass narrows an interval 256-fold, so a few suffice for any real data; the
        // cap ends the loop when the middle values are distinct but too close to separate.
        guard pending > valueBudget, refinePasses < Self.maximumRefinePasses else {
            phase = .collect
            collectStart = [Int](repeating: 0, count: geneCount + 1)
            for gene in 0..<geneCount {
                if median[gene] != nil {
                    lower[gene] = 0
                    upper[gene] = 0
                }
                collectStart[gene + 1] = collectStart[gene] + (median[gene] == nil ? inside[gene] : 0)
            }
            collectNext = Array(collectStart.dropLast())
            collected = [Double](repeating: 0, count: collectStart[geneCount])
            return
        }
        // Refine the biggest intervals until what is left to collect fits.
        var slot = 0
        for gene in open.sorted(by: { inside[$0] > inside[$1] }) where pending > valueBudget / 2 && upper[gene].isFinite {
            refineSlot[gene] = Int32(slot)
            refining.append(gene)
            slot += 1
            pending -= inside[gene]
        }
        refinePasses += 1
        refineCounts = [UInt32](repeating: 0, count: slot * Self.refineBins)
        refineMinimum = [Double](repeating: .infinity, count: slot)
        refineMaximum = [Double](repeating: -.infinity, count: slot)
        phase = .refine
    }

    // MARK: Bins

    /// The bins of `counts` holding the middle rank(s) of `total` values, `below` of which lie
    /// before the first bin; with the count before the first of them and inside them.
    private static func locateMiddle(
        _ counts: ArraySlice<UInt32>, below: Int, total: Int
    ) -> (first: Int, last: Int, countBelow: Int, inside: Int) {
        let (low, high) = middleRanks(total)
        var cumulative = below
        var first = -1
        var last = counts.count - 1
        var countBelow = below
        for (offset, count) in counts.enumerated() {
            if first < 0, cumulative + Int(count) > low {
                first = offset
                countBelow = cumulative
            }
            if cumulative + Int(count) > high {
                last = offset
                break
            }
            cumulative += Int(count)
        }
        var inside = 0
        for bin in first...last { inside += Int(counts[counts.startIndex + bin]) }
        return (first, last, countBelow, inside)
    }

    /// The 0-based ranks whose mean is the median of `n` sorted values.
    private static func middleRanks(_ n: Int) -> (Int, Int) {
        n % 2 == 1 ? ((n - 1) / 2, (n - 1) / 2) : (n / 2 - 1, n / 2)
    }

    /// The uniform sub-bin of `[lower, upper)` holding `value`, consistent with the edges
    /// `lower + k · width` that later passes compare against.
    @inline(__always)
    private static func refineBin(_ value: Double, lower: Double, upper: Double) -> Int {
        let width = (upper - lower) / Double(refineBins)
        var bin = min(refineBins - 1, max(0, Int((value - lower) / width)))
        while bin > 0, value < lower + Double(bin) * width { bin -= 1 }
        while bin < refineBins - 1, value >= lower + Double(bin + 1) * width { bin += 1 }
        return bin
    }

    /// The log bin of a positive value: its binary exponent and top three mantissa bits.
    @inline(__always)
    private static func logBin(_ value: Double) -> Int {
        let bits = value.bitPattern
        let exponent = Int((bits >> 52) & 0x7FF) - 1023
        let octave = exponent - minimumExponent
        if octave < 0 { return 0 }
        if octave >= octaves { return logBins - 1 }
        return octave * subBins + Int((bits >> 49) & 0x7)
    }

    /// The smallest value of log bin `bin` (bin `logBins` is the end of the range).
    private static func lowerEdge(_ bin: Int) -> Double {
        if bin <= 0 { return 0 }
        if bin >= logBins { return .infinity }
        let octave = bin / subBins
        let sub = bin % subBins
        return Double(sign: .plus, exponent: octave + minimumExponent, significand: 1 + Double(sub) / Double(subBins))
    }
}
