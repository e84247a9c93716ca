import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// Activity from a cells × genes file equals SecActpy's `secact_activity_inference_scrnaseq` on
/// real 10x counts (`scripts/reference/make_cell_activity_reference.py`, fixtures in
/// Tests/Fixtures/cell_activity): pseudobulk by cell type, and every single cell.
@Suite struct CellActivityTests {
    static let folder = Fixtures.directory + "/cell_activity"
    static let cells = folder + "/cells.h5ad"
    static let statistics = ["beta", "se", "zscore", "pvalue"]

    static var options: ActivityOptions {
        var options = ActivityOptions()
        options.lambda = 1e4
        options.permutations = 200
        return options
    }

    static func signature() throws -> LabeledMatrix { try MatrixTable.read(folder + "/cytosig_overlap.tsv") }
    static func reference(_ name: String) throws -> LabeledMatrix { try MatrixTable.read(folder + "/" + name + ".tsv") }

    static func tables(_ tables: SignatureActivity.Tables) -> [LabeledMatrix] { [tables.beta, tables.se, tables.zscore, tables.pvalue] }

    @Test func pseudobulkByCellTypeMatchesSecActpy() throws {
        let source = try CellSourceOpener.open(Self.cells)
        let profile = try CellActivity.pseudobulkProfile(
            source, samples: .groups(["cell_type"]), signatureGenes: Set(try Self.signature().rows))
        let tables = try SignatureActivity.run(differentialProfile: profile, signature: try Self.signature(), options: Self.options)
        for (name, ours) in zip(Self.statistics, Self.tables(tables)) {
            let reference = try Self.reference("pseudobulk_" + name)
            // Groups ordered by name ignoring case, as SecActpy orders cell types.
            #expect(ours.columns == ["b cell", "Dendritic", "Monocyte", "nk cell", "T cell"])
            #expect(ours.columns == reference.columns)
            #expect(ours.rows == reference.rows)
            #expect(SignatureActivityTests.difference(ours, reference) < 1e-6, "\(name)")
        }
    }

    @Test func singleCellsMatchSecActpy() throws {
        let source = try CellSourceOpener.open(Self.cells)
        var collected: [(cells: [String], result: ActivityResult)] = []
        // Batches of 64 cells: the split must not change any cell's result.
        let model = try CellActivity.singleCell(source, signature: try Self.signature(), options: Self.options, chunkSize: 64) { batch, result, _ in
            collected.append((batch.obs.index, result))
        }
        #expect(collected.map(\.cells.count) == [64, 64, 22])
        for (index, name) in Self.statistics.enumerated() {
            let reference = try Self.reference("single_cell_" + name)
            #expect(model.reported.map(\.name) == reference.rows)
            #expect(collected.flatMap(\.cells) == reference.columns)
            var worst = 0.0
            var offset = 0
            for part in collected {
                let values = [part.result.beta, part.result.se, part.result.zscore, part.result.pvalue][index]
                for (row, signature) in model.reported.enumerated() {
                    for cell in 0..<part.cells.count {
                        let ours = values[signature.row * part.cells.count + cell]
                        let theirs = reference[row, offset + cell]
                        worst = max(worst, abs(theirs) > 1e-9 ? abs(ours - theirs) / abs(theirs) : abs(ours - theirs))
                    }
                }
                offset += part.cells.count
            }
            #expect(worst < 1e-6, "\(name)")
        }
    }

    /// `activity.h5ad`: cells × signatures, X = z-score and layers beta, se, pvalue (float32), obs
    /// copied from the input.
    @Test func singleCellFileHoldsEveryStatistic() throws {
        let directory = try TemporaryDirectory()
        let source = try CellSourceOpener.open(Self.cells)
        var writer: CellActivityWriter?
        try CellActivity.singleCell(source, signature: try Self.signature(), options: Self.options, chunkSize: 100) { batch, result, model in
            if writer == nil { writer = try CellActivityWriter(path: directory.file("activity.h5ad"), model: model, cellSchema: source.cellMetadataSchema) }
            try writer!.append(batch, result)
        }
        try writer?.close()
        for (name, matrix) in [("zscore", "X"), ("beta", "layers/beta"), ("pvalue", "layers/pvalue")] {
            let written = try CellSourceOpener.open(directory.file("activity.h5ad"), matrix: matrix)
            let reference = try Self.reference("single_cell_" + name)
            #expect(written.genes.index == reference.rows)
            let batch = try written.read(cells: 0..<written.cellCount)
            #expect(batch.obs.index == reference.columns)
            #expect(batch.obs["cell_type"]?.text(at: 1) == "b cell")
            var worst = 0.0
            for cell in 0..<batch.matrix.rowCount {
                let (columns, values) = batch.matrix.row(cell)
                #expect(columns.count == reference.rows.count)
                for (column, value) in zip(columns, values) {
                    let theirs = reference[Int(column), cell]
                    worst = max(worst, abs(Double(value) - theirs) / max(abs(theirs), 1e-6))
                }
            }
            #expect(worst < 1e-6, "\(name) (float32)")
        }
    }

    /// A file whose rows already are pseudobulk samples (pseudobulk.h5ad of `sluice analyze
    /// pseudobulk`) gives what `--by` gives on the cells.
    @Test func pseudobulkFileEqualsGroupingTheCells() throws {
        let directory = try TemporaryDirectory()
        var options = PseudobulkOptions(by: ["cell_type"])
        options.minCells = 0
        options.minCounts = 0
        _ = try PseudobulkOutput.write(try PseudobulkAggregator(options: options).run(try CellSourceOpener.open(Self.cells)), to: directory.path)
        let genes = Set(try Self.signature().rows)
        let fromFile = try CellActivity.pseudobulkProfile(
            try CellSourceOpener.open(directory.file("pseudobulk.h5ad")), samples: .rows, signatureGenes: genes)
        let fromCells = try CellActivity.pseudobulkProfile(try CellSourceOpener.open(Self.cells), samples: .groups(["cell_type"]), signatureGenes: genes)
        #expect(fromFile.rows == fromCells.rows)
        #expect(Set(fromFile.columns) == Set(fromCells.columns))
        for (column, name) in fromCells.columns.enumerated() {
            let other = try #require(fromFile.columns.firstIndex(of: name))
            for row in 0..<fromCells.rows.count { #expect(abs(fromFile[row, other] - fromCells[row, column]) < 1e-12) }
        }
    }

    /// A cell without counts has activity 0 (SecActpy would divide by zero and spread NaN over
    /// every gene's mean) and does not change the other cells' results.
    @Test func cellWithoutCountsHasZeroActivity() throws {
        let directory = try TemporaryDirectory()
        let source = try CellSourceOpener.open(Self.cells)
        var batch = try source.read(cells: 0..<10)
        batch.matrix.append(SparseRows(offsets: [0, 0], columns: [], values: [], columnCount: source.geneCount))
        var obs = batch.obs
        obs.index.append("empty")
        for index in obs.columns.indices {
            guard case .categorical(var codes, let categories, let ordered) = obs.columns[index].values else { continue }
            codes.append(0)
            obs.columns[index].values = .categorical(codes: codes, categories: categories, ordered: ordered)
        }
        let path = directory.file("with_empty.h5ad")
        let writer = try H5ADWriter(path: path, genes: source.genes, cellSchema: source.cellMetadataSchema)
        try writer.append(CellBatch(cells: 0..<11, matrix: batch.matrix, obs: obs))
        try writer.close()

        var results: [ActivityResult] = []
        try CellActivity.singleCell(try CellSourceOpener.open(path), signature: try Self.signature(), options: Self.options) { _, result, _ in
            results.append(result)
        }
        var without: [ActivityResult] = []
        let ten = directory.file("ten.h5ad")
        let tenWriter = try H5ADWriter(path: ten, genes: source.genes, cellSchema: source.cellMetadataSchema)
        try tenWriter.append(try source.read(cells: 0..<10))
        try tenWriter.close()
        try CellActivity.singleCell(try CellSourceOpener.open(ten), signature: try Self.signature(), options: Self.options) { _, result, _ in
            without.append(result)
        }
        let result = try #require(results.first)
        let reference = try #require(without.first)
        #expect(result.samples == 11)
        for signature in 0..<result.signatures {
            let empty = signature * 11 + 10
            #expect(result.beta[empty] == 0 && result.se[empty] == 0 && result.zscore[empty] == 0 && result.pvalue[empty] == 1)
            for cell in 0..<10 {
                #expect(abs(result.zscore[signature * 11 + cell] - reference.zscore[signature * 10 + cell]) < 1e-9)
            }
        }
    }

    @Test func tooFewSharedGenesIsAClearError() throws {
        let signature = LabeledMatrix(rows: ["NOT_A_GENE", "ALSO_NOT"], columns: ["S"], values: [1, 2])
        #expect {
            try CellActivity.singleCell(try CellSourceOpener.open(Self.cells), signature: signature, options: Self.options) { _, _, _ in }
        } throws: { error in
            (error as? AnalysisError)?.code == "activity.too-few-genes"
        }
    }
}
