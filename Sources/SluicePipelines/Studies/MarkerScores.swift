import Foundation
public import SluiceFormats
import SluiceKernels

/// `sluice analyze scores`: a score per cell for each set of marker genes — immune infiltration,
/// T-cell exhaustion, CAF subtypes (``MarkerSets``) — as scanpy's `score_genes` computes it when
/// every gene of an expression bin is a control, streamed in two passes.
///
/// Pass 1 takes each gene's mean over the cells. The genes are cut into expression bins by rank
/// (scanpy: rank(method="min") // round(genes / (bins − 1))); a set's control genes are every
/// gene in the bins its own genes fall in, the set's genes excepted. Pass 2 scores each cell:
/// the mean of the set's genes minus the mean of its control genes (zeros included). scanpy
/// samples `ctrl_size` (50) of each bin's genes at random; with `ctrl_size` at least the bin's
/// size it takes them all — this score, with no random draw to reproduce. Genes of a set that
/// the file lacks are left out (noted); a set with none, or with no control gene, is skipped, and
/// a file where no set can be scored gives empty tables and a note.
public struct MarkerScores {
    public struct SetSummary: Sendable, Equatable {
        public var name: String
        public var genes: [String]
        public var missing: [String]
        public var controls: Int
    }

    /// One set's scores in one group of cells.
    public struct Group: Sendable, Equatable {
        public var labels: [String]
        public var set: String
        public var cells: Int
        public var mean, sd: Double
    }

    public struct Result: Sendable {
        public var sets: [SetSummary]
        public var groups: [Group]
        public var by: [String]
        public var cells: Int
        public var notes: [String]
    }

    public let source: any CellSource
    public var markers: MarkerSets
    /// normalize_total(1e4) + log1p before scoring (for raw counts).
    public var normalize = false
    /// Cell-metadata columns whose label combinations the scores are averaged over.
    public var by: [String] = []
    public var bins = 25
    public var chunkSize = 10_000
    public var threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Writes each cell's scores (`scores.h5ad`: cells × sets, obs the input's) when set.
    public var cellScoresPath: String?
    public var progress: (@Sendable (_ step: String, _ done: Int, _ total: Int) -> Void)?

    public init(source: any CellSource, markers: MarkerSets) {
        self.source = source
        self.markers = markers
    }

    public func run() throws -> Result {
        let names = source.cellMetadataSchema.map(\.name)
        if let missing = by.first(where: { !names.contains($0) }) {
            throw AnalysisError(code: "scores.unknown-column", "\(source.path) has no obs column '\(missing)' (it has: \(AnalysisError.sample(names, limit: 12)))")
        }
        guard bins >= 2 else { throw AnalysisError(code: "scores.bins", "expression bins must be at least 2") }
        let geneNames = source.genes.index
        var geneIndex: [String: Int] = [:]
        for (index, name) in geneNames.enumerated() where geneIndex[name] == nil { geneIndex[name] = index }
        let ranges = source.batchRanges(size: max(1, chunkSize))

        // Pass 1: each gene's mean.
        var sums = [Double](repeating: 0, count: geneNames.count)
        for range in ranges {
            let matrix = prepared(try source.read(cells: range).matrix)
            for (column, value) in zip(matrix.columns, matrix.values) { sums[Int(column)] += Double(value) }
            progress?("gene means", range.upperBound, source.cellCount)
        }
        let means = sums.map { $0 / Double(source.cellCount) }
        let cut = try Self.bins(of: means, count: bins)

        // Each set's genes and controls.
        var notes: [String] = []
        var summaries: [SetSummary] = []
        var roles: [[(set: Int32, isList: Bool)]] = Array(repeating: [], count: geneNames.count)
        for (name, genes) in markers.sets {
            let present = genes.filter { geneIndex[$0] != nil }
            let missing = genes.filter { geneIndex[$0] == nil }
            guard !present.isEmpty else {
                notes.append("set '\(name)': none of its genes is in \(source.path) (\(AnalysisError.sample(genes))); skipped")
                continue
            }
            let list = Set(present.map { geneIndex[$0]! })
            let cuts = Set(list.compactMap { cut[$0] })
            let controls = geneNames.indices.filter { gene in cut[gene].map(cuts.contains) == true && !list.contains(gene) && geneIndex[geneNames[gene]] == gene }
            guard !controls.isEmpty else {
                notes.append("set '\(name)': no control gene in the expression bins of its genes; skipped")
                continue
            }
            if !missing.isEmpty { notes.append("set '\(name)': \(missing.count) of its genes are not in the file: \(AnalysisError.sample(missing))") }
            let set = Int32(summaries.count)
            for gene in list { roles[gene].append((set, true)) }
            for gene in controls { roles[gene].append((set, false)) }
            summaries.append(SetSummary(name: name, genes: present, missing: missing, controls: controls.count))
        }
        // A dataset without any marker gene (a chromosome's subset, another species) scores
        // nothing: a result to report, not a failure of its item in a pipeline.
        guard !summaries.isEmpty else {
            notes.append("no marker set can be scored in \(source.path): none has a gene in the file\(cellScoresPath == nil ? "" : "; no scores.h5ad is written")")
            return Result(sets: [], groups: [], by: by, cells: source.cellCount, notes: notes)
        }
        let listSizes = summaries.map { Double($0.genes.count) }
        let controlSizes = summaries.map { Double($0.controls) }

        // Pass 2: each cell's scores, summed per group (and written per cell when asked).
        let writer = try cellScoresPath.map {
            try H5ADWriter(path: $0, genes: Frame(index: summaries.map(\.name)), cellSchema: source.cellMetadataSchema, options: .init(gzipLevel: 1))
        }
        var groupIndex: [[String]: Int] = [:]
        var groupLabels: [[String]] = []
        var groupSums: [[Double]] = []
        var groupSquares: [[Double]] = []
        var groupCells: [Int] = []
        var unlabeled = 0
        let width = summaries.count
        // (A failed run leaves no scores.h5ad: the writer renames its file into place on close only.)
        for range in ranges {
            let batch = try source.read(cells: range)
            let matrix = prepared(batch.matrix)
            var scores = [Double](repeating: 0, count: range.count * width)
            var list = [Double](repeating: 0, count: width)
            var control = [Double](repeating: 0, count: width)
            for cell in 0..<range.count {
                for set in 0..<width {
                    list[set] = 0
                    control[set] = 0
                }
                let (columns, values) = matrix.row(cell)
                for (column, value) in zip(columns, values) {
                    for role in roles[Int(column)] {
                        if role.isList { list[Int(role.set)] += Double(value) } else { control[Int(role.set)] += Double(value) }
                    }
                }
                for set in 0..<width { scores[cell * width + set] = list[set] / listSizes[set] - control[set] / controlSizes[set] }
            }
            let columns = by.map { batch.obs[$0]! }
            for cell in 0..<range.count {
                let labels = columns.map { $0.text(at: cell) }
                guard labels.allSatisfy({ $0 != nil }) else {
                    unlabeled += 1
                    continue
                }
                let key = labels.map { $0! }
                let group: Int
                if let known = groupIndex[key] {
                    group = known
                } else {
                    group = groupLabels.count
                    groupIndex[key] = group
                    groupLabels.append(key)
                    groupSums.append([Double](repeating: 0, count: width))
                    groupSquares.append([Double](repeating: 0, count: width))
                    groupCells.append(0)
                }
                groupCells[group] += 1
                for set in 0..<width {
                    let score = scores[cell * width + set]
                    groupSums[group][set] += score
                    groupSquares[group][set] += score * score
                }
            }
            try writer?.append(CellBatch(cells: range, matrix: SparseRows(dense: scores.map(Float.init), rows: range.count, columnCount: width), obs: batch.obs))
            progress?("scores", range.upperBound, source.cellCount)
        }
        try writer?.close()
        if unlabeled > 0 { notes.append("\(unlabeled) cells lack a label of \(by.joined(separator: ", ")) and are left out of the group means") }
        let order = groupLabels.indices.sorted { SignatureActivity.precedes(groupLabels[$0], groupLabels[$1]) }
        var groups: [Group] = []
        for group in order {
            let n = Double(groupCells[group])
            for (set, summary) in summaries.enumerated() {
                let mean = groupSums[group][set] / n
                let variance = n > 1 ? max(0, (groupSquares[group][set] - n * mean * mean) / (n - 1)) : .nan
                groups.append(Group(labels: groupLabels[group], set: summary.name, cells: groupCells[group], mean: mean, sd: variance.squareRoot()))
            }
        }
        return Result(sets: summaries, groups: groups, by: by, cells: source.cellCount, notes: notes)
    }

    /// Each gene's expression bin (nil where its mean is not finite), as scanpy cuts them:
    /// rank(method="min") // round(finite genes / (bins − 1)), the rounding half to even.
    static func bins(of means: [Double], count: Int) throws -> [Int?] {
        let finite = means.indices.filter { means[$0].isFinite }.sorted { means[$0] < means[$1] }
        let size = Int((Double(finite.count) / Double(count - 1)).rounded(.toNearestOrEven))
        guard size > 0 else {
            throw AnalysisError(code: "scores.genes", "\(finite.count) genes are too few for \(count) expression bins; use fewer --bins")
        }
        var cut = [Int?](repeating: nil, count: means.count)
        var start = 0
        while start < finite.count {
            var end = start + 1
            while end < finite.count, means[finite[end]] == means[finite[start]] { end += 1 }
            // The lowest rank of the tie: 1 + the genes below it.
            for position in start..<end { cut[finite[position]] = (start + 1) / size }
            start = end
        }
        return cut
    }

    private func prepared(_ matrix: SparseRows) -> SparseRows {
        normalize ? matrix.logNormalized(threads: threads) : matrix
    }
}

extension MarkerScores.Result {
    /// `sets` (set, genes, genes_used, missing, controls) and `groups` ([by columns…,] set,
    /// cells, mean, sd), groups in code-point order of their labels.
    public var tables: [ResultTable] {
        let setTable = ResultTable(
            name: "sets", rows: sets,
            columns: [
                ("set", .string(\.name)), ("genes", .string { $0.genes.joined(separator: ",") }), ("genes_used", .integer(\.genes.count)),
                ("missing", .string { $0.missing.joined(separator: ",") }), ("controls", .integer(\.controls)),
            ])
        let groupTable = ResultTable(
            name: "groups", rows: groups, labelColumns: by, labels: \.labels,
            columns: [("set", .string(\.set)), ("cells", .integer(\.cells)), ("mean", .double(\.mean)), ("sd", .double(\.sd))])
        return [setTable, groupTable]
    }
}
