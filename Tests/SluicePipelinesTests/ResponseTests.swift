import Foundation
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze response` equals scikit-learn's LogisticRegression and roc_auc_score on real
/// PBMC activities (Tests/Fixtures/response, from scripts/reference/make_response_reference.py).
@Suite struct ResponseTests {
    static let folder = Fixtures.directory + "/response"
    static let activity = Fixtures.directory + "/validation/cell_activity.h5ad"

    @Test func logisticRegressionAndItsFoldsEqualScikitLearn() throws {
        let labels = try ResponseLabels.read(Self.activity, column: "bulk_labels")
        var study = TreatmentResponse(features: try MatrixTable.readCells(Self.activity), labels: labels)
        study.positive = "CD14+ Monocyte"
        study.c = 0.1
        study.seed = 3
        let result = try study.run()
        for table in result.tables {
            let mismatches = try ReferenceTable.compare(table, with: Self.folder + "/\(table.name).tsv")
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        }
        // scikit-learn's defaults (lbfgs, tol 1e-4) stop short of the optimum: within 1e-4 of it.
        let text = try String(contentsOfFile: Self.folder + "/coefficients_default.tsv", encoding: .utf8)
        let defaults = text.split(separator: "\n").dropFirst().map { Double($0.split(separator: "\t")[1])! }
        #expect(zip(result.coefficients, defaults).allSatisfy { abs($0.coefficient - $1) < 1e-4 })
        #expect(result.meanAUC > 0.9)
    }

    @Test func badLabelsAreExplained() throws {
        let features = LabeledMatrix(rows: ["A"], columns: ["s1", "s2", "s3", "s4"], values: [1, 2, 3, 4])
        let three = TreatmentResponse(features: features, labels: ["s1": "a", "s2": "b", "s3": "c", "s4": "a"])
        #expect(throws: AnalysisError.self) { try three.run() }
        var few = TreatmentResponse(features: features, labels: ["s1": "no", "s2": "yes", "s3": "no", "s4": "yes"])
        few.folds = 3
        #expect(throws: AnalysisError.self) { try few.run() }
        #expect(throws: ClassificationError.self) { try LogisticRegression(x: [1, 2], y: [true, true], features: 1, c: 1) }
    }
}
