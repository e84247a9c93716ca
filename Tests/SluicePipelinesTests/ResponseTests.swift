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
        let labels = try SampleMetadata.labels(Self.activity, column: "bulk_labels", code: "response.labels")
        var study = TreatmentResponse(features: try MatrixTable.readCells(Self.activity), labels: labels)
        study.positive = "CD14+ Monocyte"
        study.c = 0.1
        study.seed = 3
        study.trees = 0
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

    /// The forest's trees differ from scikit-learn's (other random streams): on the same folds,
    /// its AUCs are within 0.03 of RandomForestClassifier's, and its importances rank the
    /// features alike.
    @Test func theForestAgreesWithScikitLearnsInAUCAndImportance() throws {
        var study = TreatmentResponse(
            features: try MatrixTable.readCells(Self.activity), labels: try SampleMetadata.labels(Self.activity, column: "bulk_labels", code: "response.labels"))
        study.positive = "CD14+ Monocyte"
        study.c = 0.1
        study.seed = 3
        study.trees = 200
        let result = try study.run()
        let text = try String(contentsOfFile: Self.folder + "/forest.tsv", encoding: .utf8)
        let rows = text.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
        let theirs = rows.filter { $0[0] == "fold" }.map { Double($0[2])! }
        let ours = result.folds.map(\.forestAUC)
        #expect(zip(ours, theirs).allSatisfy { abs($0 - $1) <= 0.03 }, "forest AUC \(ours) against scikit-learn's \(theirs)")
        let importance = Dictionary(uniqueKeysWithValues: rows.filter { $0[0] == "importance" }.map { ($0[1], Double($0[2])!) })
        let rho = Correlation.spearman(result.coefficients.map(\.forestImportance), result.coefficients.map { importance[$0.feature]! }).r
        #expect(rho > 0.8, "Spearman ρ of the importances: \(rho)")
        #expect(abs(result.coefficients.map(\.forestImportance).reduce(0, +) - 1) < 1e-9)
        // The importance is the mean of the two normalised ones; the logistic half is unchanged.
        #expect(result.coefficients.allSatisfy { abs($0.importance - ($0.coefficientImportance + $0.forestImportance) / 2) < 1e-15 })
    }

    /// With a bootstrap of 100 rows per tree (scikit-learn's max_samples, --forest-samples), the
    /// fold AUCs stay within 0.03 of RandomForestClassifier(max_samples=100)'s.
    @Test func aSmallBootstrapPerTreeAgreesWithScikitLearnsMaxSamples() throws {
        var study = TreatmentResponse(
            features: try MatrixTable.readCells(Self.activity), labels: try SampleMetadata.labels(Self.activity, column: "bulk_labels", code: "response.labels"))
        study.positive = "CD14+ Monocyte"
        study.c = 0.1
        study.seed = 3
        study.trees = 200
        study.samplesPerTree = 100
        let result = try study.run()
        let text = try String(contentsOfFile: Self.folder + "/forest.tsv", encoding: .utf8)
        let theirs = text.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }.filter { $0[0] == "fold_max_samples" }.map { Double($0[2])! }
        let ours = result.folds.map(\.forestAUC)
        #expect(theirs.count == 5 && zip(ours, theirs).allSatisfy { abs($0 - $1) <= 0.03 }, "forest AUC \(ours) against scikit-learn's \(theirs)")
    }

    @Test func badLabelsAreExplained() throws {
        let features = LabeledMatrix(rows: ["A"], columns: ["s1", "s2", "s3", "s4"], values: [1, 2, 3, 4])
        let three = TreatmentResponse(features: features, labels: ["s1": "a", "s2": "b", "s3": "c", "s4": "a"])
        #expect(throws: AnalysisError.self) { try three.run() }
        var few = TreatmentResponse(features: features, labels: ["s1": "no", "s2": "yes", "s3": "no", "s4": "yes"])
        few.folds = 3
        #expect(throws: AnalysisError.self) { try few.run() }
        #expect(throws: ClassificationError.self) { try LogisticRegression(x: [1, 2], y: [true, true], features: 1, c: 1) }
        // A fit that has not reached the optimum is an error, not a result.
        #expect(throws: ClassificationError.self) {
            try LogisticRegression(x: [0, 1, 2, 3, 4, 5], y: [false, true, false, true, true, true], features: 1, c: 10, maxIterations: 1)
        }
        // A missing feature value is named, not turned into a failed solve.
        let holes = TreatmentResponse(features: LabeledMatrix(rows: ["A"], columns: ["s1", "s2"], values: [1, .nan]), labels: ["s1": "no", "s2": "yes"])
        #expect { try holes.run() } throws: { ($0 as? AnalysisError)?.code == "response.missing" }
        // NaN values are left out of a Mann–Whitney test.
        #expect(MannWhitney.test([1, .nan, 2], [3, 4]) == MannWhitney.test([1, 2], [3, 4]))
    }
}
