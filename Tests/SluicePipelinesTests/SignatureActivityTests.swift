import Foundation
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// Signature activity equals SecActpy's (`scripts/reference/make_activity_reference.py`, fixtures
/// in Tests/Fixtures/activity): CytoSig on real pseudobulk counts in the centred, differential
/// and t-test modes, the ridge kernel alone, and the permutation machinery.
@Suite struct SignatureActivityTests {
    static let folder = Fixtures.directory + "/activity"

    static func table(_ name: String) throws -> LabeledMatrix { try MatrixTable.read(folder + "/" + name) }

    /// Largest difference relative to the reference (absolute below 1e-9).
    static func difference(_ ours: LabeledMatrix, _ reference: LabeledMatrix) -> Double {
        var worst = 0.0
        for (a, b) in zip(ours.values, reference.values) {
            worst = max(worst, abs(b) > 1e-9 ? abs(a - b) / abs(b) : abs(a - b))
        }
        return worst
    }

    @Test(arguments: ["centered", "differential", "ttest"])
    func cytosigMatchesSecActpy(mode: String) throws {
        var options = ActivityOptions()
        options.lambda = 1e4
        options.permutations = mode == "ttest" ? 0 : 100
        options.differential = mode == "differential"
        let tables = try SignatureActivity.run(
            expression: try Self.table("expression_bulk.tsv"),
            signature: try Self.table("cytosig_subset.tsv"), options: options)
        let genes = try String(contentsOfFile: Self.folder + "/cytosig_\(mode == "ttest" ? "centered" : mode)_genes.txt", encoding: .utf8)
            .split(separator: "\n").map(String.init)
        #expect(tables.genes == genes)
        for (name, ours) in [("beta", tables.beta), ("se", tables.se), ("zscore", tables.zscore), ("pvalue", tables.pvalue)] {
            let reference = try Self.table("cytosig_\(mode)_\(name).tsv")
            #expect(ours.rows == reference.rows)
            #expect(ours.columns == reference.columns)
            #expect(Self.difference(ours, reference) < 1e-6, "\(mode) \(name)")
        }
    }

    /// Near-identical signatures merged (complete linkage at r ≥ 0.9), results expanded back to
    /// every member and sorted by name (`make_grouped_activity_reference.py`).
    @Test func groupedSignaturesMatchSecActpy() throws {
        var options = ActivityOptions()
        options.lambda = 1e4
        options.permutations = 100
        options.groupSignatures = true
        let tables = try SignatureActivity.run(
            expression: try Self.table("expression_bulk.tsv"),
            signature: try Self.table("grouped_signature.tsv"), options: options)
        for (name, ours) in [("beta", tables.beta), ("se", tables.se), ("zscore", tables.zscore), ("pvalue", tables.pvalue)] {
            let reference = try Self.table("grouped_\(name).tsv")
            #expect(ours.rows == reference.rows)
            #expect(Self.difference(ours, reference) < 1e-6, "grouped \(name)")
        }
        // IL6 and its near-copy share one result.
        let il6 = try #require(tables.zscore.rows.firstIndex(of: "IL6"))
        let copy = try #require(tables.zscore.rows.firstIndex(of: "IL6_copy"))
        #expect(tables.zscore[il6, 0] == tables.zscore[copy, 0])
    }

    @Test func ridgeKernelMatchesSecActpy() throws {
        let x = try Self.table("ridge_X.tsv")
        let y = try Self.table("ridge_Y.tsv")
        let model = try RidgeActivity(x: x.values, genes: x.rows.count, signatures: x.columns.count, lambda: 5)
        let result = model.run(y: y.values, samples: y.columns.count, test: .permutationGlibc(count: 50, seed: 0))
        for (name, values) in [("beta", result.beta), ("se", result.se), ("zscore", result.zscore), ("pvalue", result.pvalue)] {
            let reference = try Self.table("ridge_\(name).tsv")
            let ours = LabeledMatrix(rows: reference.rows, columns: reference.columns, values: values)
            #expect(Self.difference(ours, reference) < 1e-9, "\(name)")
        }
    }

    @Test func permutationsEqualSecActpys() throws {
        for (file, glibc) in [("ridge_permutations.tsv", true), ("ridge_permutations_mt19937.tsv", false)] {
            let text = try String(contentsOfFile: Self.folder + "/" + file, encoding: .utf8)
            let expected = text.split(separator: "\n").map { $0.split(separator: "\t").compactMap { Int32($0) } }.filter { !$0.isEmpty }
            let count = expected[0].count
            var permutations: [[Int32]] = []
            if glibc {
                var shuffle = CumulativeShuffle(count: count, random: GlibcRandom(seed: 0))
                for _ in expected { permutations.append(shuffle.next()) }
            } else {
                var shuffle = CumulativeShuffle(count: count, random: MersenneTwister(seed: 0))
                for _ in expected { permutations.append(shuffle.next()) }
            }
            #expect(permutations == expected, "\(file)")
        }
        let rand = try Self.table("glibc_rand.tsv")
        for (row, seed) in rand.rows.enumerated() {
            var random = GlibcRandom(seed: UInt32(seed)!)
            for column in 0..<rand.columns.count { #expect(Double(random.next()) == rand[row, column]) }
        }
    }

    @Test func tooFewSharedGenesIsAClearError() throws {
        let expression = LabeledMatrix(rows: ["A", "B", "C"], columns: ["s1", "s2"], values: [1, 2, 3, 4, 5, 6])
        let signature = LabeledMatrix(rows: ["A", "X", "Y"], columns: ["IL6"], values: [1, 2, 3])
        let error = try #require(throws: AnalysisError.self) {
            try SignatureActivity.run(expression: expression, signature: signature, options: ActivityOptions())
        }
        #expect(error.message.contains("only 1 genes are shared"))
    }

    /// Reading only the rows the signature has (their gene standardised) changes nothing: the
    /// other genes never enter the regression.
    @Test func readingOnlyTheSignaturesGenesGivesTheSameActivity() throws {
        var options = ActivityOptions()
        options.lambda = 1e4
        options.permutations = 50
        let signature = try Self.table("cytosig_subset.tsv")
        let everything = try Self.table("expression_bulk.tsv")
        let wanted = try SignatureActivity.readProfile(Self.folder + "/expression_bulk.tsv", for: signature)
        #expect(wanted.rows.count < everything.rows.count)
        let full = try SignatureActivity.run(expression: everything, signature: signature, options: options)
        let filtered = try SignatureActivity.run(expression: wanted, signature: signature, options: options)
        #expect(filtered.genes == full.genes)
        #expect(filtered.zscore == full.zscore && filtered.pvalue == full.pvalue && filtered.beta == full.beta && filtered.se == full.se)
        // No shared gene at all: the regression's clear error, not an empty-table one.
        let other = LabeledMatrix(rows: ["NOT_A_GENE"], columns: ["X"], values: [1])
        #expect {
            try SignatureActivity.run(
                expression: try SignatureActivity.readProfile(Self.folder + "/expression_bulk.tsv", for: other),
                signature: other, options: options)
        } throws: { error in
            (error as? AnalysisError)?.code == "activity.too-few-genes"
        }
    }
}
