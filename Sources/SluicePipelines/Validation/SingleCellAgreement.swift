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
/// Memory: each pass keeps one block of signatures' values for every cell (9 bytes a cell and
/// signature), as many signatures as `memoryBudget` holds; more signatures take more passes.
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
        let block = max(1, min(signatures.count, memoryBudget / max(1, 9 * cellCount)))
        let passes = (signatures.count + block - 1) / block
        var detected = [Bool](repeating: false, count: countGenes.count)
        var result = Result(expressing: [], groups: [], concordance: [], detectedGenes: [], presentGenes: Set(countGenes), passes: passes)
        for (pass, start) in stride(from: 0, to: signatures.count, by: block).enumerated() {
            let members = Array(start..<min(start + block, signatures.count))
            var values = [[Double]](repeating: [Double](repeating: 0, count: cellCount), count: members.count)
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
                        values[slotOfSignature[Int(column)]][position] = Double(value)
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
                var inside: [Double] = []
                var outside: [Double] = []
                for (value, expresses) in zip(values[slot], expressing[slot]) {
                    if expresses { inside.append(value) } else { outside.append(value) }
                }
                result.expressing.append(
                    ExpressingRow(
                        signature: name, genes: signatureGenes[signature], expressing: inside.count, notExpressing: outside.count,
                        meanExpressing: Self.mean(inside), meanNotExpressing: Self.mean(outside), test: MannWhitney.test(inside, outside)))
                guard let labels else { continue }
                var byGroup = [[Double]](repeating: [], count: groupNames.count)
                for (cell, label) in labels.enumerated() where label >= 0 { byGroup[Int(label)].append(values[slot][cell]) }
                let rows = groupNames.enumerated().map { group, label in
                    GroupRow(
                        signature: name, group: label, cells: byGroup[group].count, mean: Self.mean(byGroup[group]),
                        median: Self.median(byGroup[group]), pseudobulk: pseudobulkValue(signature: name, group: label))
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

    static func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

    /// numpy's median: the middle value, or the mean of the two middle values.
    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
