import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// Activity rows against sample covariates: alignment by sample name, missing values, controls,
/// per-covariate q-values, binned summaries and clear errors.
@Suite struct CovariateCorrelationTests {
    let activity = LabeledMatrix(
        rows: ["IL6", "TNFA"], columns: ["s1", "s2", "s3", "s4", "s5", "s6"],
        values: [1, 2, 3, 4, 5, 7, 3, 1, 4, 1, 5, 9])
    // Rows in another order than the activity's columns, one sample missing, one age missing.
    let covariates = LabeledMatrix(
        rows: ["s6", "s1", "s2", "s3", "s4", "x9"], columns: ["age", "bmi"],
        values: [61, 30, 22, 21, 35, .nan, 41, 25, 48, 27, 70, 33])

    @Test func alignsSamplesAndMatchesTheKernel() throws {
        let rows = try CovariateCorrelation.correlate(
            activity: activity, covariates: covariates, columns: ["age"], controls: [],
            methods: [.pearson, .spearman])
        #expect(rows.count == 4)
        // IL6 over s1…s6 against age: s5 has no covariate row.
        let il6 = [1.0, 2, 3, 4, 5, 7]
        let age = [22.0, 35, 41, 48, .nan, 61]
        let expected = Correlation.pearson(il6, age)
        let pearson = try #require(rows.first { $0.signature == "IL6" && $0.method == .pearson })
        #expect(pearson.r == expected.r)
        #expect(pearson.n == 5)
        let spearman = try #require(rows.first { $0.signature == "IL6" && $0.method == .spearman })
        #expect(abs(spearman.r - 1) < 1e-12)
        // q-values are adjusted within one covariate and method.
        let group = rows.filter { $0.method == .pearson }
        #expect(zip(group.map(\.qvalue), FalseDiscoveryRate.benjaminiHochberg(group.map(\.pvalue))).allSatisfy { $0 == $1 })
    }

    @Test func partialCorrelationUsesTheControls() throws {
        let rows = try CovariateCorrelation.correlate(
            activity: activity, covariates: covariates, columns: ["age"], controls: ["bmi"],
            methods: [.pearson])
        let il6 = try #require(rows.first { $0.signature == "IL6" })
        // s2 has no BMI and s5 no row: four complete samples.
        let expected = Correlation.partial([1, 2, 3, 4, 5, 7], [22, 35, 41, 48, .nan, 61], controls: [[21, .nan, 25, 27, .nan, 30]])
        #expect(il6.r == expected.r)
        #expect(il6.n == 4)
    }

    @Test func binsSummarizeActivityByCovariate() throws {
        let bins = try CovariateCorrelation.bins(activity: activity, covariates: covariates, covariate: "age", width: 20)
        let labels = Array(Set(bins.map(\.label))).sorted()
        #expect(labels == ["[20, 40)", "[40, 60)", "[60, 80)"])
        let middle = try #require(bins.first { $0.label == "[40, 60)" && $0.signature == "IL6" })
        #expect(middle.n == 2)  // s3 (41) and s4 (48)
        #expect(middle.mean == 3.5)
    }

    @Test func unknownCovariateIsNamed() throws {
        let error = try #require(throws: AnalysisError.self) {
            try CovariateCorrelation.correlate(activity: activity, covariates: covariates, columns: ["height"], controls: [], methods: [.pearson])
        }
        #expect(error.message.contains("no covariate 'height' (the table has: age, bmi)"))
    }

    /// Single-cell activity (an h5ad of cells × signatures, as `activity.h5ad`) correlated with its
    /// own obs gives what the same numbers give as tables: numeric columns (float with a missing
    /// value, integer, a categorical of numbers) are covariates, text columns are not.
    @Test func activityFileAndItsObsEqualTheTables() throws {
        let directory = try TemporaryDirectory()
        let cells = (0..<12).map { "c\($0)" }
        let signatures = ["IL6", "TNFA"]
        var values: [Float] = []
        for cell in 0..<12 { values += [Float(cell % 5) - 1.5, Float((cell * 7) % 11) / 3] }
        let age: [Double] = [30, 41, .nan, 52, 28, 66, 71, 45, 39, 58, 62, 33]
        let obs = Frame(
            index: cells,
            columns: [
                FrameColumn(name: "age", values: .floats(age)),
                FrameColumn(name: "bmi", values: .integers([21, 25, 30, 22, 27, 31, 24, 26, 29, 23, 28, 20])),
                FrameColumn(name: "stage", values: .categorical(codes: [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, -1], categories: ["1", "2", "3"], ordered: false)),
                FrameColumn(name: "sex", values: .categorical(codes: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], categories: ["F", "M"], ordered: false)),
            ])
        let writer = try H5ADWriter(path: directory.file("activity.h5ad"), genes: Frame(index: signatures), cellSchema: obs.schema)
        try writer.append(
            CellBatch(
                cells: 0..<12,
                matrix: SparseRows(
                    offsets: (0...12).map { Int64($0 * 2) },
                    columns: Array(repeating: [Int32(0), 1], count: 12).flatMap { $0 },
                    values: values, columnCount: 2), obs: obs))
        try writer.close()

        let fromFile = try MatrixTable.readCells(directory.file("activity.h5ad"))
        let covariates = try ObsCovariates.table(h5ad: directory.file("activity.h5ad"))
        #expect(fromFile.rows == signatures && fromFile.columns == cells)
        #expect(covariates.columns == ["age", "bmi", "stage"])
        #expect(covariates[2, 0].isNaN && covariates[11, 2].isNaN && covariates[4, 2] == 2)

        var table = LabeledMatrix(rows: signatures, columns: cells, values: [Double](repeating: 0, count: 24))
        for cell in 0..<12 { for s in 0..<2 { table[s, cell] = Double(values[cell * 2 + s]) } }
        let tableCovariates = LabeledMatrix(
            rows: cells, columns: ["age", "bmi"],
            values: (0..<12).flatMap { [age[$0], [21.0, 25, 30, 22, 27, 31, 24, 26, 29, 23, 28, 20][$0]] })
        #expect(fromFile == table)
        let expected = try CovariateCorrelation.correlate(
            activity: table, covariates: tableCovariates, columns: ["age"], controls: ["bmi"],
            methods: [.pearson, .spearman])
        let ours = try CovariateCorrelation.correlate(
            activity: fromFile, covariates: covariates, columns: ["age"], controls: ["bmi"],
            methods: [.pearson, .spearman])
        #expect(ours == expected)
        #expect(ours.allSatisfy { $0.n == 11 })
    }
}
