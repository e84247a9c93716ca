public import SluiceFormats
public import SluiceKernels

/// The single-cell checks of activity, streamed over the cells: each signature's activity in
/// the cells that express its gene(s) against the cells that do not (difference of means and a
/// two-sided Mann–Whitney test, scipy's `mannwhitneyu(method="asymptotic")`), and — per group of
/// cells (`cell_type`) — the mean and median of single-cell activity, set against the
/// pseudobulk activity of the same groups (Pearson and Spearman across groups). A cell expresses
/// a signature when it has a count above 0 of one of the signature's genes (``SignatureGenes``). The activity file (cells × signatures, `activity.h5ad` of `sluice analyze activity`)
/// and the counts must hold the same cells in the same order.
///
/// Memory: each pass keeps one block of signatures' values for every cell (5 bytes a cell and
/// signature: the stored float and whether the cell expresses), as many signatures as
/// `memoryBudget` holds; more signatures take more passes. Each signature's values are then
/// sorted once (16 bytes a cell, for one signature at a time). Cells without an activity value
/// (NaN) are left out of its statistics.
public struct SingleCellAgreement {
    public struct ExpressingRow: Sendable, Equatable {
        public var signature: String
        public var genes: [String]
        public var expressing: Int
        public var notExpressing: Int
        public var meanExpressing: Double
        public var meanNotExpressing: Double
        /// meanExpressing − meanNotExpressing.
        public var difference: Double { meanExpressing - meanNotExpressing }
        public var test: MannWhitney.Result
    }

    public struct GroupRow: Sendable, Equatable {
        public var signature: String
        public var group: String
        public var cells: Int
        public var mean: Double
        public var median: Double
        /// The group's pseudobulk activity (NaN when the pseudobulk table lacks it).
        public var pseudobulk: Double
    }

    public struct ConcordanceRow: Sendable, Equatable {
        public var signature: String
        /// Groups with both a single-cell and a pseudobulk activity.
        public var groups: Int
        public var meanPearson: Correlation.Estimate
        public var meanSpearman: Correlation.Estimate
        public var medianPearson: Correlation.Estimate
        public var medianSpearman: Correlation.Estimate
    }

    public struct Result: Sendable {
        public var expressing: [ExpressingRow]
        public var groups: [GroupRow]
        /// Empty without a pseudobulk table.
        public var concordance: [ConcordanceRow]
        /// The expressed genes of the counts (standardised), for ``GeneCoverage``.
        public var detectedGenes: Set<String>
        public var presentGenes: Set<String>
        public var passes: Int
    }

    public let activity: any CellSource
    public let counts: any CellSource
    /// The obs column that groups the cells (read from the activity file, else the counts').
    public var groupBy: String?
    /// Signatures × groups.
    public var pseudobulk: LabeledMatrix?
    public var memoryBudget = 256 << 20
    public var chunkSize = 10_000
    /// Called with (cells done, cells × passes).
    public var progress: (Int, Int) -> Void = { _, _ in }

    public init(activity: any CellSource, counts: any CellSource) {
        self.activity = activity
        self.counts = counts
    }

    public func run() throws -> Result {
        let cellCount = activity.cellCount
        guard counts.cellCount == cellCount else {
            throw AnalysisError(
                code: "validate.cells",
                "the activity file has \(cellCount) cells and the counts \(counts.cellCount): they must be the same cells, in the same order")
        }
        let signatures = activity.genes.index
        let countGenes = counts.genes.index.map(SignatureActivity.standardizedName)
        var geneColumns: [String: [Int32]] = [:]
        for (column, gene) in countGenes.enumerated() { geneColumns[gene, default: []].append(Int32(column)) }
        let signatureGenes = signatures.map { SignatureGenes.genes(of: $0).filter { geneColumns[$0] != nil } }
        let ranges = activity.batchRanges(size: max(1, chunkSize))
        let (labels, groupNames) = try groupLabels(ranges: ranges)
        let block = max(1, min(signatures.count, memoryBudget / max(1, 5 * cellCount)))
        let passes = (signatures.count + block - 1) / block
        var detected = [Bool](repeating: false, count: countGenes.count)
        var sorter = RankKeySorter()
        var result = Result(expressing: [], groups: [], concordance: [], detectedGenes: [], presentGenes: Set(countGenes), passes: passes)
        for (pass, start) in stride(from: 0, to: signatures.count, by: block).enumerated() {
            let members = Array(start..<min(start + block, signatures.count))
            var values = [[Float]](repeating: [Float](repeating: 0, count: cellCount), count: members.count)
            var expressing = [[Bool]](repeating: [Bool](repeating: false, count: cellCount), count: members.count)
            // Where each signature's values and each gene's cells go in this pass.
            var slotOfSignature = [Int](repeating: -1, count: signatures.count)
            var slotsOfGene = [[Int]](repeating: [], count: countGenes.count)
            for (slot, signature) in members.enumerated() {
                slotOfSignature[signature] = slot
                for gene in signatureGenes[signature] { for column in geneColumns[gene]! { slotsOfGene[Int(column)].append(slot) } }
            }
            for range in ranges {
                let scores = try activity.read(cells: range)
                let cells = try counts.read(cells: range)
                guard scores.obs.index == cells.obs.index else {
                    throw AnalysisError(
                        code: "validate.cells",
                        "cells \(range.lowerBound)–\(range.upperBound - 1) differ between the activity file and the counts: they must be the same cells, in the same order")
                }
                for cell in 0..<scores.matrix.rowCount {
                    let position = range.lowerBound + cell
                    let (columns, stored) = scores.matrix.row(cell)
                    for (column, value) in zip(columns, stored) where slotOfSignature[Int(column)] >= 0 {
                        values[slotOfSignature[Int(column)]][position] = value
                    }
                    let (genes, counted) = cells.matrix.row(cell)
                    for (gene, count) in zip(genes, counted) where count > 0 {
                        if pass == 0 { detected[Int(gene)] = true }
                        for slot in slotsOfGene[Int(gene)] { expressing[slot][position] = true }
                    }
                }
                progress(pass * cellCount + range.upperBound, passes * cellCount)
            }
            for (slot, signature) in members.enumerated() {
                let name = signatures[signature]
                let summary = Self.summarize(values[slot], expressing: expressing[slot], labels: labels, groups: groupNames.count, sorter: &sorter)
                result.expressing.append(
                    ExpressingRow(
                        signature: name, genes: signatureGenes[signature], expressing: summary.expressing.count,
                        notExpressing: summary.others.count, meanExpressing: summary.expressing.mean, meanNotExpressing: summary.others.mean,
                        test: summary.test))
                guard labels != nil else { continue }
                let rows = groupNames.enumerated().map { group, label in
                    GroupRow(
                        signature: name, group: label, cells: summary.groups[group].count, mean: summary.groups[group].mean,
                        median: summary.groups[group].median, pseudobulk: pseudobulkValue(signature: name, group: label))
                }
                result.groups += rows
                if pseudobulk != nil { result.concordance.append(Self.concordance(name, rows)) }
            }
        }
        result.detectedGenes = Set(countGenes.indices.filter { detected[$0] }.map { countGenes[$0] })
        return result
    }

    /// Each cell's group number (−1: missing) and the groups' names in order of first
    /// appearance, or nil without `groupBy`.
    private func groupLabels(ranges: [Range<Int>]) throws -> ([Int32]?, [String]) {
        guard let groupBy else { return (nil, []) }
        let source = activity.cellMetadataSchema.contains { $0.name == groupBy } ? activity : counts
        guard source.cellMetadataSchema.contains(where: { $0.name == groupBy }) else {
            throw AnalysisError(
                code: "validate.group-by",
                "neither the activity file nor the counts have the obs column '\(groupBy)' (they have: \(AnalysisError.sample(activity.cellMetadataSchema.map(\.name), limit: 12)))"
            )
        }
        var labels: [Int32] = []
        var names: [String] = []
        var number: [String: Int32] = [:]
        for range in ranges {
            let column = try source.readCellMetadata(cells: range)[groupBy]!
            for cell in 0..<column.count {
                guard let label = column.text(at: cell) else {
                    labels.append(-1)
                    continue
                }
                if number[label] == nil {
                    number[label] = Int32(names.count)
                    names.append(label)
                }
                labels.append(number[label]!)
            }
        }
        return (labels, names)
    }

    private func pseudobulkValue(signature: String, group: String) -> Double {
        guard let pseudobulk, let row = pseudobulk.rows.firstIndex(of: signature), let column = pseudobulk.columns.firstIndex(of: group) else { return .nan }
        return pseudobulk[row, column]
    }

    static func concordance(_ signature: String, _ rows: [GroupRow]) -> ConcordanceRow {
        let matched = rows.filter { !$0.pseudobulk.isNaN && $0.cells > 0 }
        let reference = matched.map(\.pseudobulk)
        return ConcordanceRow(
            signature: signature, groups: matched.count,
            meanPearson: Correlation.pearson(matched.map(\.mean), reference), meanSpearman: Correlation.spearman(matched.map(\.mean), reference),
            medianPearson: Correlation.pearson(matched.map(\.median), reference),
            medianSpearman: Correlation.spearman(matched.map(\.median), reference))
    }

    /// Count, mean and median of some cells' values.
    struct Summary {
        var count = 0
        var sum = 0.0
        var median = Double.nan
        var mean: Double { count > 0 ? sum / Double(count) : .nan }
    }

    /// One signature's values summarised: the Mann–Whitney test of the expressing cells against
    /// the others and each side's summary, and each group's. The values (NaN: left out) are
    /// sorted once, as radix keys whose slot holds the cell's group and whether it expresses.
    static func summarize(
        _ values: [Float], expressing: [Bool], labels: [Int32]?, groups: Int, sorter: inout RankKeySorter
    ) -> (test: MannWhitney.Result, expressing: Summary, others: Summary, groups: [Summary]) {
        var keys: [UInt64] = []
        keys.reserveCapacity(values.count)
        var (inside, outside) = (Summary(), Summary())
        var byGroup = [Summary](repeating: Summary(), count: groups)
        for cell in values.indices where !values[cell].isNaN {
            let value = values[cell]
            let group = labels.map { Int($0[cell]) } ?? -1
            if expressing[cell] {
                inside.count += 1
                inside.sum += Double(value)
            } else {
                outside.count += 1
                outside.sum += Double(value)
            }
            if group >= 0 {
                byGroup[group].count += 1
                byGroup[group].sum += Double(value)
            }
            // +0 for −0: the keys of equal values must be equal.
            keys.append(RankKey.make(value == 0 ? 0 : value, slot: UInt32(group + 1) << 1 | (expressing[cell] ? 1 : 0)))
        }
        keys.withUnsafeMutableBufferPointer { sorter.sort($0) }
        // numpy's median: the middle value, or the mean of the two middle values.
        var seen = [Int](repeating: 0, count: groups)
        var low = [Double](repeating: .nan, count: groups)
        var sums = MannWhitney.RankSums()
        var index = 0
        while index < keys.count {
            let bits = RankKey.valueBits(keys[index])
            let value = Double(RankKey.value(keys[index]))
            var end = index
            var inFirst = 0
            while end < keys.count, RankKey.valueBits(keys[end]) == bits {
                let slot = RankKey.slot(keys[end])
                inFirst += Int(slot & 1)
                let group = Int(slot >> 1) - 1
                if group >= 0 {
                    let count = byGroup[group].count
                    if seen[group] == (count - 1) / 2 { low[group] = value }
                    if seen[group] == count / 2 { byGroup[group].median = (low[group] + value) / 2 }
                    seen[group] += 1
                }
                end += 1
            }
            sums.add(run: end - index, inFirst: inFirst)
            index = end
        }
        return (sums.result, inside, outside, byGroup)
    }
}
