import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze pseudobulk` against scanpy's `sc.get.aggregate` on real 10x counts
/// (`scripts/reference/make_pseudobulk_reference.py`, fixtures in Tests/Fixtures/pseudobulk):
/// sums and non-zero counts exact, means to 1e-12, decoupler's filters, the cell-type hierarchy,
/// the Poisson bootstrap (against the script's independent Python version), and edge cases.
@Suite struct PseudobulkTests {
    static let folder = Fixtures.directory + "/pseudobulk"
    static let h5ad = folder + "/pbmc_groups.h5ad"

    static func table(_ name: String) throws -> LabeledMatrix { try MatrixTable.read(folder + "/" + name) }

    /// A reference `*.groups.tsv` as rows of fields keyed by header name.
    static func groups(_ name: String) throws -> [[String: String]] {
        let lines = try String(contentsOfFile: folder + "/" + name, encoding: .utf8).split(separator: "\n")
        let header = lines[0].split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        return lines.dropFirst().map { line in
            Dictionary(
                uniqueKeysWithValues: zip(header, line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
    }

    static func run(
        _ by: [String], minCells: Int = 0, minCounts: Double = 0, chunk: Int = 10_000, hierarchy: (String, String)? = nil,
        bootstrap: Int = 0, seed: UInt64 = 0, source: (any CellSource)? = nil
    ) throws -> PseudobulkResult {
        var options = PseudobulkOptions(by: by)
        options.minCells = minCells
        options.minCounts = minCounts
        options.chunkSize = chunk
        options.bootstrapReplicates = bootstrap
        options.seed = seed
        if let (level, column) = hierarchy {
            options.hierarchy = .init(
                hierarchy: try CellTypeHierarchy(contentsOf: folder + "/hierarchy.tsv"), level: level, column: column)
        }
        return try PseudobulkAggregator(options: options).run(source ?? CellSourceOpener.open(h5ad))
    }

    /// Compares every kept group and gene with scanpy's tables `<name>.{sum,mean,count_nonzero}`.
    static func expectScanpy(_ result: PseudobulkResult, _ name: String) throws {
        let sum = try table(name + ".sum.tsv")
        let mean = try table(name + ".mean.tsv.gz")
        let nonzero = try table(name + ".count_nonzero.tsv")
        #expect(result.keptGroups.map(\.name) == sum.columns, "groups and their order are scanpy's")
        #expect(result.genes.index == sum.rows)
        var worstMean = 0.0
        for (k, group) in result.keptGroups.enumerated() {
            let means = result.means(k)
            for j in 0..<sum.rows.count {
                #expect(result.sums[k][j] == sum[j, k], "sum of \(sum.rows[j]) in \(group.name)")
                #expect(Double(result.nonzeroCells[k][j]) == nonzero[j, k], "non-zero cells of \(sum.rows[j]) in \(group.name)")
                worstMean = max(worstMean, abs(means[j] - mean[j, k]))
            }
        }
        #expect(worstMean <= 1e-12)
    }

    @Test("sums, means and non-zero cells equal scanpy's aggregate, by cell_type and donor_id")
    func matchesScanpy() throws {
        let result = try Self.run(["cell_type", "donor_id"])
        try Self.expectScanpy(result, "celltype_donor")
        let reference = try Self.groups("celltype_donor.groups.tsv")
        #expect(result.groups.map(\.name) == reference.map { $0["group"]! })
        #expect(result.groups.map { String($0.cells) } == reference.map { $0["psbulk_cells"]! })
        #expect(result.groups.map(\.totalCounts) == reference.map { Double($0["psbulk_counts"]!)! })
        #expect(result.groups.map(\.labels) == reference.map { [$0["cell_type"]!, $0["donor_id"]!] })
        // 12 cells lack cell_type, 8 donor_id, none both.
        #expect(result.droppedCells == 20)
        #expect(result.missingLabels.map(\.cells) == [12, 8])
        #expect(result.cells == 1107)
    }

    @Test("groups are kept as decoupler keeps them", arguments: [(10, 1000.0), (10, 0), (0, 1000), (1, 1)])
    func filters(minCells: Int, minCounts: Double) throws {
        let result = try Self.run(["cell_type", "donor_id"], minCells: minCells, minCounts: minCounts)
        let reference = try Self.groups("celltype_donor.groups.tsv")
        let column = "kept_\(minCells)_\(Int(minCounts))"
        #expect(result.groups.map { $0.kept ? "true" : "false" } == reference.map { $0[column]! })
        #expect(result.keptGroups.map(\.name) == reference.filter { $0[column] == "true" }.map { $0["group"]! })
        // The kept groups' numbers are still scanpy's.
        let sum = try Self.table("celltype_donor.sum.tsv")
        for (k, group) in result.keptGroups.enumerated() {
            let column = try #require(sum.columns.firstIndex(of: group.name))
            #expect((0..<sum.rows.count).allSatisfy { result.sums[k][$0] == sum[$0, column] })
        }
    }

    @Test(
        "a hierarchy level aggregates the mapped labels",
        arguments: [
            ("L2", ["cell_type", "donor_id"], "L2_donor"), ("L1", ["cell_type"], "L1"),
        ])
    func hierarchy(level: String, by: [String], reference: String) throws {
        let result = try Self.run(by, hierarchy: (level, "cell_type"))
        #expect(result.keyColumns.first == "cell_type_\(level)")
        try Self.expectScanpy(result, reference)
        let groups = try Self.groups(reference + ".groups.tsv")
        #expect(result.groups.map { String($0.cells) } == groups.map { $0["psbulk_cells"]! })
    }

    @Test("labels missing from the hierarchy are an error that names them")
    func unknownHierarchyLabels() throws {
        let hierarchy = try CellTypeHierarchy(
            levels: ["L1", "L2", "L3"], rows: [["lymphoid", "CD4 T", "CD4 naive T"], ["lymphoid", "CD8 T", "CD8 T"]],
            path: "small.tsv")
        var options = PseudobulkOptions(by: ["cell_type"])
        options.hierarchy = .init(hierarchy: hierarchy, level: "L2", column: "cell_type")
        let error = try #require(throws: AnalysisError.self) {
            try PseudobulkAggregator(options: options).run(CellSourceOpener.open(Self.h5ad))
        }
        #expect(error.code == "pseudobulk.unknown-label")
        #expect(error.message.contains("'B memory', 'B naive', 'CD14 monocyte', 'CD16 monocyte', 'CD4 memory T' and 3 more"))
        #expect(error.message.contains("small.tsv"))
        // An unknown level lists the levels; a label with two parents is refused.
        #expect(throws: AnalysisError.self) { try hierarchy.mapping(to: "L4") }
        let conflicting = try CellTypeHierarchy(levels: ["L1", "L2"], rows: [["a", "x"], ["b", "x"]])
        let conflict = try #require(throws: AnalysisError.self) { try conflicting.mapping(to: "L1") }
        #expect(conflict.code == "hierarchy.conflict")
        // A coarse label is accepted at its own level.
        let mapping = try conflicting.mapping(to: "L2")
        #expect(mapping.labels == ["x": "x"])
    }

    @Test("an unknown --by column is an error that lists the columns")
    func unknownColumn() throws {
        let error = try #require(throws: AnalysisError.self) { try Self.run(["celltype"]) }
        #expect(error.code == "pseudobulk.unknown-column")
        #expect(error.message.contains("'celltype'") && error.message.contains("cell_type, donor_id"))
    }

    @Test("nothing left after the filters is an error")
    func emptyAfterFilters() throws {
        let error = try #require(throws: AnalysisError.self) { try Self.run(["cell_type", "donor_id"], minCells: 500) }
        #expect(error.code == "pseudobulk.empty")
        #expect(error.message.contains("largest group has 87 cells; the most counts in a group are 3830"))
    }

    @Test("the bootstrap equals the reference script's Poisson bootstrap")
    func bootstrapMatchesReference() throws {
        let result = try Self.run(["cell_type"], bootstrap: 40, seed: 7)
        let summaries = try #require(result.bootstrap)
        let valid = try Self.groups("bootstrap_celltype.replicates.tsv")
        #expect(summaries.map { String($0.validReplicates) } == valid.map { $0["valid_replicates"]! })
        for (name, pick) in [("mean", \BootstrapSummary.mean), ("lower", \.lower), ("upper", \.upper)] {
            let reference = try Self.table("bootstrap_celltype.\(name).tsv.gz")
            #expect(result.keptGroups.map(\.name) == reference.columns)
            var worst = 0.0
            for k in summaries.indices {
                for j in 0..<reference.rows.count {
                    worst = max(worst, abs(summaries[k][keyPath: pick][j] - reference[j, k]))
                }
            }
            #expect(worst <= 1e-12, "bootstrap \(name)")
        }
    }

    @Test("the same seed gives the same output, whatever the chunk size", arguments: [1, 7, 256, 5000])
    func deterministic(chunk: Int) throws {
        let reference = try Self.run(["cell_type", "donor_id"], bootstrap: 12, seed: 99)
        let result = try Self.run(["cell_type", "donor_id"], chunk: chunk, bootstrap: 12, seed: 99)
        #expect(result.groups == reference.groups)
        #expect(result.sums == reference.sums)
        #expect(result.nonzeroCells == reference.nonzeroCells)
        #expect(result.bootstrap == reference.bootstrap)
        let other = try Self.run(["cell_type", "donor_id"], chunk: chunk, bootstrap: 12, seed: 100)
        #expect(other.bootstrap != reference.bootstrap)
        #expect(other.sums == reference.sums)
    }

    @Test("edge cases: string and float labels, missing labels, a one-cell group, an all-zero gene")
    func edgeCases() throws {
        // 6 cells × 3 genes; gene 2 is zero everywhere.
        let source = MemoryCellSource(
            rows: [[1, 2, 0], [3, 0, 0], [0, 5, 0], [7, 0, 0], [0, 0, 0], [2, 2, 0]],
            columns: [
                FrameColumn(
                    name: "kind", values: .strings(["b", "a", "b", "x", "a", "b"]),
                    missing: [false, false, false, true, false, false]),
                FrameColumn(name: "dose", values: .floats([10, 10, 2.5, 10, .nan, 10])),
            ])
        let result = try Self.run(["kind", "dose"], chunk: 4, source: source)
        // Groups: text order for strings, numeric order for numbers ("2.5" before "10.0").
        #expect(result.groups.map(\.name) == ["a_10.0", "b_2.5", "b_10.0"])
        #expect(result.groups.map(\.cells) == [1, 1, 2])
        #expect(result.droppedCells == 2)  // cell 3 (no kind) and cell 4 (NaN dose)
        #expect(result.missingLabels.map(\.cells) == [1, 1])
        #expect(result.sums == [[3, 0, 0], [0, 5, 0], [3, 4, 0]])
        #expect(result.nonzeroCells == [[1, 0, 0], [0, 1, 0], [2, 2, 0]])
        #expect(result.means(2) == [1.5, 2, 0])

        let none = MemoryCellSource(
            rows: [[1], [2]], columns: [FrameColumn(name: "kind", values: .strings(["a", "b"]), missing: [true, true])])
        let error = try #require(throws: AnalysisError.self) { try Self.run(["kind"], source: none) }
        #expect(error.code == "pseudobulk.no-cells")
    }

    @Test("the output files hold the result: h5ad, tables, Parquet and groups.tsv")
    func outputFiles() throws {
        let result = try Self.run(["cell_type", "donor_id"], minCells: 10, minCounts: 1000, bootstrap: 5, seed: 1)
        let directory = try TemporaryDirectory("pseudobulk")
        let summary = try PseudobulkOutput.write(result, to: directory.path)
        #expect(summary.inexactSums == 0)
        for name in [
            "pseudobulk.h5ad", "pseudobulk_mean.h5ad", "sum.tsv", "mean.tsv", "nonzero.tsv", "bootstrap_mean.tsv",
            "bootstrap_lower.tsv", "bootstrap_upper.tsv", "pseudobulk.parquet", "groups.tsv",
        ] {
            #expect(
                summary.files.contains(directory.file(name)) && FileManager.default.fileExists(atPath: directory.file(name)),
                "\(name)")
        }
        let kept = result.keptGroups
        // Tables: genes × kept groups, exact.
        let sum = try MatrixTable.read(directory.file("sum.tsv"))
        let mean = try MatrixTable.read(directory.file("mean.tsv"))
        #expect(sum.columns == kept.map(\.name) && sum.rows == result.genes.index)
        for k in kept.indices {
            let means = result.means(k)
            for j in result.genes.index.indices {
                #expect(sum[j, k] == result.sums[k][j])
                #expect(mean[j, k] == means[j])
            }
        }
        // h5ad: groups × genes, X = sums, obs with the keys and QC columns.
        let h5ad = try CellSourceOpener.open(directory.file("pseudobulk.h5ad"))
        #expect(h5ad.cellCount == kept.count && h5ad.geneCount == 507)
        let batch = try h5ad.read(cells: 0..<h5ad.cellCount)
        #expect(batch.obs.index == kept.map(\.name))
        #expect(batch.obs["psbulk_cells"]?.values == .integers(kept.map { Int64($0.cells) }))
        #expect(batch.obs["psbulk_counts"]?.values == .floats(kept.map(\.totalCounts)))
        #expect((0..<kept.count).map { batch.obs["donor_id"]?.text(at: $0) } == kept.map { $0.labels[1] })
        for k in kept.indices {
            var dense = [Double](repeating: 0, count: 507)
            let row = batch.matrix.row(k)
            for (j, v) in zip(row.columns, row.values) { dense[Int(j)] = Double(v) }
            #expect(dense == result.sums[k])
        }
        // groups.tsv lists the filtered-out groups too.
        let groups = try String(contentsOfFile: directory.file("groups.tsv"), encoding: .utf8).split(separator: "\n")
        #expect(groups.count == result.groups.count + 1)
        #expect(groups[0] == "group\tcell_type\tdonor_id\tpsbulk_cells\tpsbulk_counts\tkept")
        #expect(groups.contains("platelet_donor_2\tplatelet\tdonor_2\t1\t28\tfalse"))
    }
}

/// Cells held in memory, for edge cases no file fixture needs to carry.
private final class MemoryCellSource: CellSource {
    let path = "memory"
    let format = FileFormat.h5ad
    let genes: Frame
    let matrixInfo = MatrixInfo(
        layout: "csr", valueType: "float32", storedCount: nil, compression: [], chunkShape: nil, parallelDecompression: false)
    private let rows: [[Float]]
    private let obs: Frame

    init(rows: [[Float]], columns: [FrameColumn]) {
        self.rows = rows
        genes = Frame(index: (0..<rows[0].count).map { "g\($0)" })
        obs = Frame(index: rows.indices.map { "c\($0)" }, columns: columns)
    }

    var cellCount: Int { rows.count }
    var cellMetadataSchema: [FrameColumn.Schema] { obs.schema }

    func read(cells: Range<Int>) throws -> CellBatch {
        var matrix = SparseRows(columnCount: genes.rowCount)
        for row in rows[cells] {
            let stored = row.indices.filter { row[$0] != 0 }
            matrix.append(
                SparseRows(
                    offsets: [0, Int64(stored.count)], columns: stored.map { Int32($0) }, values: stored.map { row[$0] },
                    columnCount: genes.rowCount))
        }
        return CellBatch(cells: cells, matrix: matrix, obs: obs.rows(cells))
    }
}
