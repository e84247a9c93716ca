import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze differential` equals scanpy 1.11.5's `rank_genes_groups` on real UMI counts
/// (`scripts/reference/make_differential_reference.py`, fixtures in Tests/Fixtures/differential):
/// every column to 1e-6 relative, genes in scanpy's order (up to equal scores), in one pass or
/// many; and the errors scanpy raises (or that it should) are clear.
@Suite struct DifferentialTests {
    static let folder = Fixtures.directory + "/differential"
    static let input = folder + "/pbmc_groups.h5ad"

    /// One reference table and the options that reproduce it.
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var groupBy = "cluster"
        var reference: String?
        var groups: [String]?
        var normalize = true
        var tieCorrect = false
        var method = DifferentialMethod.wilcoxon
        var stratify: String?
        var testDescription: String { name }

        var options: DifferentialOptions {
            var options = DifferentialOptions(groupBy: groupBy)
            options.reference = reference
            options.groups = groups
            options.normalize = normalize
            options.tieCorrect = tieCorrect
            options.method = method
            options.stratify = stratify.map { [$0] } ?? []
            return options
        }
    }

    static let cases: [Case] = [
        Case(name: "wilcoxon_rest"),
        Case(name: "wilcoxon_reference", reference: "c1"),
        Case(name: "wilcoxon_rest_tie", tieCorrect: true),
        Case(name: "wilcoxon_reference_tie", reference: "c2", tieCorrect: true),
        Case(name: "wilcoxon_counts", normalize: false),
        Case(name: "wilcoxon_groups", groups: ["c3", "c1"]),
        Case(name: "wilcoxon_groups_reference", reference: "c1", groups: ["c4", "c2"]),
        Case(name: "wilcoxon_na", groupBy: "cluster_na"),
        Case(name: "wilcoxon_text", groupBy: "cluster_text"),
        Case(name: "wilcoxon_stratified", stratify: "batch"),
        Case(name: "wilcoxon_stratified_reference", reference: "c1", tieCorrect: true, stratify: "batch"),
        Case(name: "ttest_rest", method: .tTest),
        Case(name: "ttest_reference", reference: "c3", method: .tTest),
        Case(name: "ttest_overestim_var", method: .tTestOverestimatedVariance),
    ]

    /// One row of a result table.
    struct Row: Equatable {
        var comparison: String
        var name: String
        var values: [Double]
    }

    /// Rows of a reference table (gzip TSV); the comparison is "stratum/group" or "group".
    static func reference(_ name: String) throws -> (header: [String], rows: [Row]) {
        let reader = try LineReader(path: folder + "/" + name + ".tsv.gz")
        let header = try #require(try reader.nextLine()).split(separator: "\t").map(String.init)
        let stratified = header.first == "stratum"
        var rows: [Row] = []
        while let line = try reader.nextLine(), !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            let keyCount = stratified ? 3 : 2
            rows.append(
                Row(
                    comparison: fields[0..<(keyCount - 1)].joined(separator: "/"), name: fields[keyCount - 1],
                    values: try fields[keyCount...].map { try #require(Double($0), "'\($0)' in \(name)") }))
        }
        return (header, rows)
    }

    /// Our rows in the same layout: scores and fold changes as the float32 values scanpy stores.
    static func rows(_ result: DifferentialResult) -> [Row] {
        result.comparisons.flatMap { comparison in
            comparison.order.map { gene in
                Row(
                    comparison: (comparison.strata.first.map { $0 + "/" } ?? "") + comparison.group,
                    name: result.genes[gene],
                    values: [
                        Double(Float(comparison.scores[gene])), Double(Float(comparison.effects[gene])),
                        comparison.pValues[gene], comparison.adjustedPValues[gene],
                    ])
            }
        }
    }

    static func close(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= 1e-6 * max(abs(a), abs(b)) || (abs(a) < 1e-300 && abs(b) < 1e-300)
    }

    static func run(_ options: DifferentialOptions, path: String = input) throws -> DifferentialResult {
        try DifferentialExpression(source: try CellSourceOpener.open(path), options: options).run()
    }

    @Test(arguments: cases)
    func matchesScanpy(_ test: Case) throws {
        let (header, expected) = try Self.reference(test.name)
        let result = try Self.run(test.options)
        let ours = Self.rows(result)
        #expect(header.suffix(6) == ["group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"])
        #expect(result.stratifiedBy.isEmpty == (header.first != "stratum"))
        try #require(ours.count == expected.count)
        // Comparisons in scanpy's order.
        func comparisons(_ rows: [Row]) -> [String] { rows.map(\.comparison).reduce(into: []) { if $0.last != $1 { $0.append($1) } } }
        #expect(comparisons(ours) == comparisons(expected))
        // Every value of every gene, matched by comparison and name.
        var byKey: [String: Row] = [:]
        for row in ours { byKey[row.comparison + "\t" + row.name] = row }
        var worst = [Double](repeating: 0, count: 4)
        for row in expected {
            let mine = try #require(byKey[row.comparison + "\t" + row.name], "\(row.comparison) \(row.name) missing")
            for column in 0..<4 where !Self.close(mine.values[column], row.values[column]) {
                Issue.record("\(test.name) \(row.comparison) \(row.name) \(header[header.count - 4 + column]): \(mine.values[column]) vs scanpy \(row.values[column])")
            }
            for column in 0..<4 where mine.values[column] != row.values[column] {
                let scale = max(abs(mine.values[column]), abs(row.values[column]))
                worst[column] = max(worst[column], abs(mine.values[column] - row.values[column]) / scale)
            }
        }
        // Genes by score, highest first: the score sequences agree position by position (the
        // order of genes with equal scores is scanpy's unstable argsort, ours is file order).
        for (mine, theirs) in zip(ours, expected) {
            #expect(mine.comparison == theirs.comparison && Self.close(mine.values[0], theirs.values[0]))
        }
        #expect(worst.allSatisfy { $0 < 1e-6 }, "largest relative differences \(worst)")
    }

    @Test(
        "several passes and small chunks give the same numbers as one pass",
        arguments: [
            cases[1], cases[3], cases[7], cases[10], cases[13],
        ])
    func passesAgree(_ test: Case) throws {
        let single = try Self.run(test.options)
        var options = test.options
        options.memoryBudget = 8 * 2_000  // 2,000 stored values per pass
        options.chunkSize = 97
        options.threads = 3
        let multiple = try Self.run(options)
        #expect(single.passes == 1)
        // Wilcoxon gathers each gene's values (more passes when they do not fit); t-tests only sums.
        #expect(test.method == .wilcoxon ? multiple.passes > 5 : multiple.passes == 1)
        #expect(Self.rows(multiple) == Self.rows(single))
    }

    @Test("stratified runs note what they skip, and label-less cells are noted")
    func notes() throws {
        var options = DifferentialOptions(groupBy: "cluster_na")
        options.normalize = true
        let result = try Self.run(options)
        #expect(result.notes == ["40 cells have no 'cluster_na' label; they count in every group's rest, as in scanpy"])
        options.groupBy = "solo"
        options.stratify = ["batch"]
        let stratified = try Self.run(options)
        #expect(stratified.notes.count == 1 && stratified.notes[0].contains("skipped group 's0', which has 1 cell"))
        #expect(!stratified.comparisons.contains { $0.group == "s0" })
        // --min-cells: the group of one cell, an error under scanpy's rule, is skipped and noted.
        options.stratify = []
        options.minCells = 2
        let skipping = try Self.run(options)
        #expect(skipping.notes == ["skipped 1 group of 'solo' with fewer than 2 cells (--min-cells): 's0' (1)"])
        #expect(!skipping.comparisons.isEmpty && !skipping.comparisons.contains { $0.group == "s0" })
    }

    @Test(
        "clear errors",
        arguments: [
            ("nope", nil, nil, nil, "differential.unknown-column"),
            ("cluster", "zz", nil, nil, "differential.unknown-reference"),
            ("cluster", nil, ["c1", "zz"], nil, "differential.unknown-group"),
            ("cluster_text", "zz", nil, nil, "differential.unknown-reference"),
            ("solo", nil, nil, nil, "differential.small-group"),
            ("solo", "s0", ["c1"], nil, "differential.small-group"),
            ("total_counts", nil, nil, nil, "differential.column-kind"),
            ("cluster", nil, nil, "cluster", "differential.same-column"),
            ("cluster", nil, nil, "nope", "differential.unknown-column"),
        ] as [(String, String?, [String]?, String?, String)])
    func errors(groupBy: String, reference: String?, groups: [String]?, stratify: String?, code: String) throws {
        var options = DifferentialOptions(groupBy: groupBy)
        options.reference = reference
        options.groups = groups
        options.stratify = stratify.map { [$0] } ?? []
        let error = try #require(throws: AnalysisError.self) { try Self.run(options) }
        #expect(error.code == code, "\(error.message)")
        #expect(!error.message.isEmpty && !error.message.contains("\n"))
    }

    @Test("a group of one cell among --groups is fine when not selected")
    func smallGroupNotSelected() throws {
        var options = DifferentialOptions(groupBy: "solo")
        options.groups = ["c1", "c2"]
        options.normalize = true
        let result = try Self.run(options)
        #expect(result.comparisons.map(\.group) == ["c1", "c2"])
    }

    /// Writes a small h5ad: `values` cells × genes (dense, zeros not stored), obs columns given.
    static func writeH5AD(_ path: String, values: [[Float]], columns: [FrameColumn]) throws {
        let genes = Frame(index: (0..<values[0].count).map { "g\($0)" })
        var offsets: [Int64] = [0]
        var indices: [Int32] = []
        var data: [Float] = []
        for row in values {
            for (gene, value) in row.enumerated() where value != 0 {
                indices.append(Int32(gene))
                data.append(value)
            }
            offsets.append(Int64(data.count))
        }
        let obs = Frame(index: values.indices.map { "cell\($0)" }, columns: columns)
        let writer = try H5ADWriter(path: path, genes: genes, cellSchema: obs.schema)
        try writer.append(
            CellBatch(
                cells: 0..<values.count, matrix: SparseRows(offsets: offsets, columns: indices, values: data, columnCount: values[0].count),
                obs: obs))
        try writer.close()
    }

    @Test("NaN expression values are an error, unused categories are scanpy's one-cell error")
    func badInputs() throws {
        let folder = try TemporaryDirectory("differential")
        let labels = FrameColumn(name: "group", values: .categorical(codes: [0, 0, 1, 1, 0, 1], categories: ["a", "b", "unused"], ordered: false))
        try Self.writeH5AD(folder.file("nan.h5ad"), values: [[1, .nan], [2, 0], [0, 3], [1, 1], [4, 0], [0, 2]], columns: [labels])
        let nan = try #require(throws: AnalysisError.self) {
            var options = DifferentialOptions(groupBy: "group")
            options.groups = ["a", "b"]
            _ = try Self.run(options, path: folder.file("nan.h5ad"))
        }
        #expect(nan.code == "differential.nan-value")

        try Self.writeH5AD(folder.file("unused.h5ad"), values: [[1, 0], [2, 0], [0, 3], [1, 1], [4, 0], [0, 2]], columns: [labels])
        let unused = try #require(throws: AnalysisError.self) { _ = try Self.run(DifferentialOptions(groupBy: "group"), path: folder.file("unused.h5ad")) }
        #expect(unused.code == "differential.small-group" && unused.message.contains("'unused' (0 cells)"))
        var options = DifferentialOptions(groupBy: "group")
        options.groups = ["b", "a"]
        #expect(try Self.run(options, path: folder.file("unused.h5ad")).comparisons.map(\.group) == ["b", "a"])
    }

    /// scanpy's Wilcoxon on a dense column: average ranks of every cell of the pool, z-score, p.
    static func denseWilcoxon(_ values: [Float], group: [Bool], pool: [Bool], tieCorrect: Bool) -> Double {
        let members = values.indices.filter { pool[$0] }
        let column = members.map { values[$0] }
        let order = column.indices.sorted { column[$0] < column[$1] }
        var ranks = [Double](repeating: 0, count: column.count)
        var ties = 0.0
        var i = 0
        while i < order.count {
            var j = i + 1
            while j < order.count && column[order[j]] == column[order[i]] { j += 1 }
            for k in i..<j { ranks[order[k]] = Double(i + 1 + j) / 2 }
            let t = Double(j - i)
            ties += t * t * t - t
            i = j
        }
        let n = members.count { group[$0] }
        let m = members.count - n
        let rankSum = zip(members, ranks).filter { group[$0.0] }.reduce(0.0) { $0 + $1.1 }
        let size = Double(members.count)
        let coefficient = tieCorrect ? 1 - ties / (size * size * size - size) : 1
        let sd = (coefficient * Double(n) * Double(m) * Double(n + m + 1) / 12).squareRoot()
        let z = (rankSum - Double(n) * Double(n + m + 1) / 2) / sd
        return z.isNaN ? 0 : z
    }

    @Test("random matrices with negatives, ties, missing labels and strata of one or two columns equal dense ranking", arguments: 0..<12)
    func randomAgainstDense(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed) + 100)
        let cells = 30 + Int(random.next() % 60)
        let genes = 1 + Int(random.next() % 6)
        let palette: [Float] = [-2, -0.5, 0.5, 1, 1, 3, 8]
        let values: [[Float]] = (0..<cells).map { _ in
            (0..<genes).map { _ in random.unit() < 0.55 ? 0 : (random.next() % 3 == 0 ? Float(random.unit() * 6 - 2) : palette[Int(random.next() % 7)]) }
        }
        let groupCodes: [Int32] = (0..<cells).map { _ in random.next() % 9 == 0 ? -1 : Int32(random.next() % 3) }
        let strataCodes: [Int32] = (0..<cells).map { _ in Int32(random.next() % 2) }
        let phaseCodes: [Int32] = (0..<cells).map { _ in random.next() % 11 == 0 ? -1 : Int32(random.next() % 2) }
        let folder = try TemporaryDirectory("differential")
        let path = folder.file("random.h5ad")
        try Self.writeH5AD(
            path, values: values,
            columns: [
                FrameColumn(name: "group", values: .categorical(codes: groupCodes, categories: ["x", "y", "z"], ordered: false)),
                FrameColumn(name: "stratum", values: .categorical(codes: strataCodes, categories: ["s0", "s1"], ordered: false)),
                FrameColumn(name: "phase", values: .categorical(codes: phaseCodes, categories: ["p1", "p0"], ordered: false)),
            ])
        var checked = 0
        let cases: [([String], String?, Bool)] = [
            ([], nil, false), (["stratum"], nil, true), ([], "y", true), (["stratum"], "x", false), (["phase", "stratum"], nil, false),
            (["stratum", "phase"], "z", true),
        ]
        for (strata, referenceLabel, tieCorrect) in cases {
            var options = DifferentialOptions(groupBy: "group")
            options.reference = referenceLabel
            options.tieCorrect = tieCorrect
            options.stratify = strata
            // Differences of means for half of the cases (the ranks are the same either way).
            options.effect = seed % 2 == 0 ? .activityDifference : .logFoldChange
            options.memoryBudget = 8 * 40
            options.chunkSize = 7
            guard let result = try? Self.run(options, path: path) else { continue }  // too few cells for some group
            // Strata in order: the first column's categories slowest, each column in category order.
            let expectedStrata = strata.reduce([[String]()]) { prefixes, column in
                prefixes.flatMap { prefix in (column == "phase" ? ["p1", "p0"] : ["s0", "s1"]).map { prefix + [$0] } }
            }
            let seenStrata = result.comparisons.map(\.strata).reduce(into: [[String]]()) { if $0.last != $1 { $0.append($1) } }
            #expect(seenStrata == expectedStrata.filter(seenStrata.contains))
            for comparison in result.comparisons {
                let group = ["x", "y", "z"].firstIndex(of: comparison.group)!
                let inStratum = (0..<cells).map { cell in
                    zip(strata, comparison.strata).allSatisfy { column, label in
                        column == "phase" ? phaseCodes[cell] == Int32(label == "p0" ? 1 : 0) : strataCodes[cell] == Int32(label.dropFirst())!
                    }
                }
                let isGroup = (0..<cells).map { inStratum[$0] && groupCodes[$0] == Int32(group) }
                let pool: [Bool]
                if let referenceLabel {
                    let reference = Int32(["x", "y", "z"].firstIndex(of: referenceLabel)!)
                    pool = (0..<cells).map { isGroup[$0] || (inStratum[$0] && groupCodes[$0] == reference) }
                } else {
                    pool = inStratum
                }
                for gene in 0..<genes {
                    let z = Self.denseWilcoxon(values.map { $0[gene] }, group: isGroup, pool: pool, tieCorrect: tieCorrect)
                    #expect(abs(comparison.scores[gene] - z) <= 1e-12 * max(1, abs(z)), "seed \(seed) \(comparison.strata.first ?? "") \(comparison.group) gene \(gene)")
                    #expect(comparison.pValues[gene] == NormalDistribution.twoSidedPValue(comparison.scores[gene]))
                    let mean = { (members: [Bool]) in
                        zip(values, members).filter(\.1).reduce(0.0) { $0 + Double($1.0[gene]) } / Double(members.count(where: { $0 }))
                    }
                    let (groupMean, otherMean) = (mean(isGroup), mean(zip(pool, isGroup).map { $0 && !$1 }))
                    let effect = options.effect.of(groupMean: groupMean, otherMean: otherMean)
                    // log2 of a negative ratio (negative means) is NaN on both sides.
                    let agrees = effect.isNaN ? comparison.effects[gene].isNaN : abs(comparison.effects[gene] - effect) <= 1e-9 * max(1, abs(effect))
                    #expect(agrees, "seed \(seed) effect of gene \(gene): \(comparison.effects[gene]) vs \(effect)")
                    checked += 1
                }
            }
        }
        #expect(checked > 0)
    }

    @Test("TSV and Parquet tables hold every row in scanpy's layout")
    func tables() throws {
        var options = DifferentialOptions(groupBy: "cluster")
        options.normalize = true
        options.stratify = ["batch"]
        let result = try Self.run(options)
        let folder = try TemporaryDirectory("differential")
        try DifferentialTable.writeTSV(result, to: folder.file("differential.tsv"))
        try DifferentialTable.writeParquet(result, to: folder.file("differential.parquet"))
        let text = try String(contentsOfFile: folder.file("differential.tsv"), encoding: .utf8)
        let lines = text.split(separator: "\n")
        #expect(lines.first == "batch\tgroup\tnames\tscores\tlogfoldchanges\tpvals\tpvals_adj")
        #expect(lines.count == 1 + result.comparisons.count * result.genes.count)
        #expect(lines[1].hasPrefix("b1\tc1\tPRMT2\t18.36387\t"))
        let parquet = try ParquetReader(path: folder.file("differential.parquet"))
        #expect(parquet.rowCount == result.comparisons.count * result.genes.count)
        #expect(parquet.schema.columns.map(\.name) == ["batch", "group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"])
    }

    @Test("--effect activity-diff writes the difference of means, −log10 p and the BH q-value")
    func activityDifferenceTable() throws {
        var options = DifferentialOptions(groupBy: "cluster")
        options.normalize = true
        options.stratify = ["batch"]
        let logFold = try Self.run(options)
        options.effect = .activityDifference
        let result = try Self.run(options)
        let folder = try TemporaryDirectory("differential")
        try DifferentialTable.writeTSV(result, to: folder.file("differential.tsv"))
        try DifferentialTable.writeParquet(result, to: folder.file("differential.parquet"))
        let lines = try String(contentsOfFile: folder.file("differential.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(lines.first == "batch\tgroup\tnames\tscores\tactivity_diff\tpvals\tneg_log10_pval\tqvalue")
        #expect(lines.count == 1 + result.comparisons.count * result.genes.count)
        // The same ranks and p-values as the log2fc run; only the effect differs.
        for (a, b) in zip(result.comparisons, logFold.comparisons) {
            #expect(a.scores == b.scores && a.pValues == b.pValues && a.adjustedPValues == b.adjustedPValues)
        }
        for line in lines.dropFirst().prefix(200) {
            let fields = line.split(separator: "\t").map(String.init)
            let (p, minusLog, q) = (Double(fields[5])!, Double(fields[6])!, Double(fields[7])!)
            #expect(minusLog == -log10(p))
            let comparison = result.comparisons.first { $0.strata == [fields[0]] && $0.group == fields[1] }!
            let gene = result.genes.firstIndex(of: fields[2])!
            #expect(q == comparison.adjustedPValues[gene])
            #expect(Float(fields[4]) == Float(comparison.effects[gene]))
        }
        let parquet = try ParquetReader(path: folder.file("differential.parquet"))
        #expect(parquet.schema.columns.map(\.name) == ["batch", "group", "names", "scores", "activity_diff", "pvals", "neg_log10_pval", "qvalue"])
    }

    @Test("--stratify refuses a column named twice, the group column, or a result column's name")
    func stratifyColumnChecks() throws {
        for (stratify, code) in [(["batch", "batch"], "differential.same-column"), (["cluster"], "differential.same-column")] {
            var options = DifferentialOptions(groupBy: "cluster")
            options.stratify = stratify
            #expect(throws: AnalysisError.self) { try Self.run(options) }
            do { _ = try Self.run(options) } catch let error as AnalysisError { #expect(error.code == code) }
        }
    }
}
