import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze validate` equals scipy and secactpy on real PBMC data, table by table
/// (Tests/Fixtures/validation, from scripts/reference/make_validation_reference.py).
@Suite struct ValidationTests {
    static let folder = Fixtures.directory + "/validation"

    /// Every check on the fixture's inputs; single cells in passes of 7 signatures.
    static func validation() throws -> ActivityValidation {
        var validation = ActivityValidation()
        validation.sampleActivity = try MatrixTable.read(folder + "/sample_activity.tsv")
        validation.sampleExpression = try MatrixTable.read(folder + "/sample_expression.tsv")
        validation.cellTypeActivity = try MatrixTable.read(folder + "/celltype_activity.tsv")
        validation.cellTypeExpression = try MatrixTable.read(folder + "/celltype_expression.tsv")
        var cells = SingleCellAgreement(
            activity: try CellSourceOpener.open(folder + "/cell_activity.h5ad"),
            counts: try CellSourceOpener.open(Fixtures.directory + "/pbmc68k_reduced_current.h5ad", matrix: "raw"))
        cells.groupBy = "bulk_labels"
        cells.chunkSize = 97
        cells.memoryBudget = 5 * 700 * 7
        validation.singleCells = cells
        validation.expected = try ExpectedDirections.read(folder + "/expected_directions.tsv")
        validation.signature = try MatrixTable.read(folder + "/secact_subset.tsv")
        validation.activityOptions.lambda = 5e5
        validation.folds = 3
        validation.seed = 7
        return validation
    }

    @Test func everyCheckEqualsTheReference() throws {
        let result = try Self.validation().run()
        #expect(result.singleCell?.passes == 5)
        let tables = result.tables
        #expect(
            tables.map(\.name) == ["sample", "celltype", "singlecell", "groups", "concordance", "expected", "biological", "coverage", "stability", "quality"])
        for table in tables {
            let mismatches = try ReferenceTable.compare(table, with: Self.folder + "/\(table.name).tsv")
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        }
    }

    /// The score is the weighted mean of the defined checks: set weights change it as the
    /// formula says, and a signature with no defined check has none.
    @Test func theQualityScoreIsTheWeightedMeanOfTheDefinedChecks() throws {
        let checks: [ValidationScore.Check: Double] = [.sample: 0.5, .stability: 1, .biological: .nan]
        #expect(abs(ValidationScore(signature: "S", checks: checks).score - 0.75) < 1e-15)
        let weighted = ValidationScore(signature: "S", checks: checks, weights: [.sample: 0.6, .stability: 0.2])
        #expect(abs(weighted.score - (0.6 * 0.5 + 0.2 * 1) / 0.8) < 1e-15)
        #expect(ValidationScore(signature: "S", checks: [.biological: .nan]).score.isNaN)
        #expect(try ValidationScore.weights("sample=0.4, stability=0") == [.sample: 0.4, .stability: 0])
        #expect(throws: AnalysisError.self) { try ValidationScore.weights("samples=0.4") }
        #expect(throws: AnalysisError.self) { try ValidationScore.weights("sample=-1") }
    }

    /// Edge cases give defined results or one clear error: a constant signature's activity has
    /// no correlation, two columns are too few, an empty group has no test.
    @Test func edgeCasesAreDefined() throws {
        let activity = LabeledMatrix(rows: ["IL6", "TNFA"], columns: ["a", "b", "c", "d"], values: [1, 1, 1, 1, 0.5, 2, -1, 3])
        let expression = LabeledMatrix(rows: ["IL6", "tnf"], columns: ["d", "c", "b", "a"], values: [4, 3, 2, 1, 1, 0, 2, 0.5])
        let rows = try ExpressionAgreement.compute(activity: activity, expression: expression)
        // As scipy: pearsonr and spearmanr undefined, linregress a flat line that explains nothing.
        #expect(rows[0].pearson.r.isNaN && rows[0].spearman.r.isNaN && rows[0].n == 4)
        #expect(rows[0].slope == 0 && rows[0].intercept == 1 && rows[0].r2 == 0)
        // TNFA stands for TNF; the columns are matched by name, not position.
        #expect(rows[1].genes == ["TNF"])
        #expect(ReferenceTable.close(rows[1].pearson.r, Correlation.pearson([0.5, 2, 0, 1], [0.5, 2, -1, 3]).r))
        let two = LabeledMatrix(rows: ["IL6"], columns: ["a", "b"], values: [1, 2])
        #expect(throws: AnalysisError.self) { try ExpressionAgreement.compute(activity: two, expression: two) }
        // scipy.stats.mannwhitneyu([1, 2, 2, 5, 7.5], [2, 3, 3, 4, 0, -1], method="asymptotic").
        let small = MannWhitney.test([1, 2, 2, 5, 7.5], [2, 3, 3, 4, 0, -1])
        #expect(small.u == 19 && ReferenceTable.close(small.pvalue, 0.5180220945903762) && small.auc == 19.0 / 30)
        let none = MannWhitney.test([], [1, 2])
        #expect(none.u.isNaN && none.pvalue.isNaN)
        let tied = MannWhitney.test([1, 1], [1, 1, 1])
        #expect(tied.auc == 0.5 && tied.pvalue.isNaN)
        #expect(SignatureGenes.genes(of: "IL12|TNFA") == ["IL12A", "IL12B", "TNF"])
    }

    /// The tables leave as TSV, CSV (quoted where needed), Parquet and one JSON document with
    /// undefined numbers as null.
    @Test func exportsInEveryFormat() throws {
        let folder = try TemporaryDirectory("sluice-validate-export")
        let table = ResultTable(
            name: "t", columns: [.init("name", .strings(["a,b", "c"])), .init("n", .integers([1, 2])), .init("x", .doubles([0.25, .nan]))])
        try ExportFormat.tsv.write([table], study: "s", to: folder.path)
        #expect(try String(contentsOfFile: folder.file("t.tsv"), encoding: .utf8) == "name\tn\tx\na,b\t1\t0.25\nc\t2\t\n")
        try ExportFormat.csv.write([table], study: "s", to: folder.path)
        #expect(try String(contentsOfFile: folder.file("t.csv"), encoding: .utf8) == "name,n,x\n\"a,b\",1,0.25\nc,2,\n")
        try ExportFormat.json.write([table], study: "s", to: folder.path)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("s.json")))) as! [String: Any]
        let rows = (json["tables"] as! [String: Any])["t"] as! [[String: Any]]
        #expect(json["study"] as? String == "s" && rows.count == 2)
        #expect(rows[0]["name"] as? String == "a,b" && rows[0]["x"] as? Double == 0.25 && rows[1]["x"] is NSNull)
        try ExportFormat.parquet.write([table], study: "s", to: folder.path)
        let reader = try ParquetReader(path: folder.file("t.parquet"))
        #expect(reader.rowCount == 2)
        #expect(reader.schema.columns.map(\.name) == ["name", "n", "x"])
    }

    /// The command writes every table and says what it checked.
    @Test func theCommandWritesEveryTable() async throws {
        let folder = try TemporaryDirectory("sluice-validate-command")
        let input = { (name: String) in Self.folder + "/" + name }
        let run = try await SluiceBinary.run(
            [
                "analyze", "validate", "--activity", input("sample_activity.tsv"), "--expression", input("sample_expression.tsv"),
                "--celltype-activity", input("celltype_activity.tsv"), "--celltype-expression", input("celltype_expression.tsv"),
                "--cell-activity", input("cell_activity.h5ad"), "--cells", Fixtures.directory + "/pbmc68k_reduced_current.h5ad",
                "--group-by", "bulk_labels", "--expected", input("expected_directions.tsv"), "--signature", input("secact_subset.tsv"),
                "--folds", "3", "--seed", "7", "--output", folder.path,
            ], in: folder.path)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("31 signatures scored"), "\(run.standardOutput)")
        for name in ["sample", "celltype", "singlecell", "groups", "concordance", "expected", "biological", "coverage", "stability", "quality"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("\(name).tsv")), "\(name).tsv")
        }
        let missing = try await SluiceBinary.run(["analyze", "validate", "--output", folder.path], in: folder.path)
        #expect(missing.status == 2 && missing.standardError.contains("give activity to validate"), "\(missing.standardError)")
    }
}
