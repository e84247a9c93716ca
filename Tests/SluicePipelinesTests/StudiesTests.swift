import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze composition` and `specificity` equal scipy, pandas and numpy on real PBMC
/// cells (Tests/Fixtures/studies, from scripts/reference/make_studies_reference.py).
@Suite struct StudiesTests {
    static let folder = Fixtures.directory + "/studies"

    @Test func compositionEqualsTheReference() throws {
        var study = CellTypeComposition(source: try CellSourceOpener.open(Self.folder + "/composition.h5ad"))
        study.sampleColumn = "sample"
        study.conditionColumn = "condition"
        study.reference = "healthy"
        study.chunkSize = 97
        let result = try study.run()
        #expect(result.unlabeled == 0)
        for table in result.tables {
            let mismatches = try ReferenceTable.compare(table, with: Self.folder + "/\(table.name).tsv")
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        }
        // The monocytes the disease donors lost have the lowest U.
        #expect(result.tests.min { $0.test.u < $1.test.u }?.cellType == "CD14+ Monocyte")
    }

    /// `--format h5ad`: samples × cell types, X the cells, layers the proportions and CLR values.
    @Test func compositionAsAnAnnDataFile() throws {
        var study = CellTypeComposition(source: try CellSourceOpener.open(Self.folder + "/composition.h5ad"))
        study.conditionColumn = "condition"
        let result = try study.run()
        let folder = try TemporaryDirectory("sluice-composition-h5ad")
        let files = try ExportFormat.h5ad.write(result.tables, study: "composition", to: folder.path, matrix: CellTypeComposition.matrix)
        #expect(files == [folder.file("composition.h5ad")])
        let cells = try CellSourceOpener.open(folder.file("composition.h5ad"))
        let samples = Array(Set(result.samples.map(\.sample))).sorted(by: <)
        #expect(cells.cellCount == samples.count && cells.genes.index == Array(Set(result.samples.map(\.cellType))).sorted(by: <))
        #expect(cells.cellMetadataSchema.map(\.name) == ["sample", "condition"])
        let batch = try cells.read(cells: 0..<cells.cellCount)
        let clr = try CellSourceOpener.open(folder.file("composition.h5ad"), matrix: "clr").read(cells: 0..<cells.cellCount)
        for row in result.samples {
            let (obs, variable) = (samples.firstIndex(of: row.sample)!, cells.genes.index.firstIndex(of: row.cellType)!)
            let stored = batch.matrix.row(obs)
            #expect(stored.values[stored.columns.firstIndex(of: Int32(variable))!] == Float(row.cells))
            let logRatio = clr.matrix.row(obs)
            #expect(logRatio.values[logRatio.columns.firstIndex(of: Int32(variable))!] == Float(row.clr))
        }
        // Studies without a matrix-shaped table say where h5ad applies.
        #expect(throws: AnalysisError.self) { try ExportFormat.h5ad.write(result.tables, study: "composition", to: folder.path) }
    }

    @Test func specificityEqualsTheReference() throws {
        let rows = SignatureSpecificity.compute(try MatrixTable.read(Fixtures.directory + "/validation/celltype_activity.tsv"))
        let mismatches = try ReferenceTable.compare(SignatureSpecificity.table(rows), with: Self.folder + "/specificity.tsv")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        // A constant row and a single column have no tau; all in one column is 1.
        let edge = LabeledMatrix(rows: ["flat", "one"], columns: ["a", "b", "c"], values: [2, 2, 2, -1, -1, 5])
        let computed = SignatureSpecificity.compute(edge)
        #expect(computed[0].tau.isNaN && computed[1].tau == 1 && computed[1].top == "c")
        #expect(SignatureSpecificity.compute(LabeledMatrix(rows: ["x"], columns: ["a"], values: [1]))[0].tau.isNaN)
    }

    @Test func theCommandsExplainBadInput() async throws {
        let folder = try TemporaryDirectory("sluice-studies")
        let input = Self.folder + "/composition.h5ad"
        let run = try await SluiceBinary.run(
            ["analyze", "composition", input, "--sample", "sample", "--condition", "condition", "--output", folder.path], in: folder.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("in 8 samples, 10 cell types; 10 tests"), "\(run.standardOutput)")
        let unknown = try await SluiceBinary.run(["analyze", "composition", input, "--sample", "donor", "--output", folder.path], in: folder.path)
        #expect(unknown.status == 2 && unknown.standardError.contains("no obs column 'donor'"), "\(unknown.standardError)")
        let mixed = try await SluiceBinary.run(
            ["analyze", "composition", input, "--sample", "cell_type", "--cell-type", "sample", "--condition", "condition", "--output", folder.path],
            in: folder.path)
        #expect(mixed.status == 2 && mixed.standardError.contains("each sample needs one condition"), "\(mixed.standardError)")
        let tau = try await SluiceBinary.run(
            ["analyze", "specificity", Fixtures.directory + "/validation/celltype_activity.tsv", "--output", folder.path], in: folder.path)
        #expect(tau.status == 0 && FileManager.default.fileExists(atPath: folder.file("specificity.tsv")), "\(tau.standardError)")
    }
}
