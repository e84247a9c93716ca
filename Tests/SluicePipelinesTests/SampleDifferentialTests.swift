import Foundation
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze differential` on sample-level tables against scipy.stats on real pseudobulk
/// (Wu et al. 2020 T cells: tumour, adjacent normal tissue and blood of 14 patients;
/// Tests/Fixtures/sample_differential, from scripts/reference/make_sample_differential_reference.py).
@Suite("sample-level differential tests equal scipy")
struct SampleDifferentialTests {
    static let folder = Fixtures.directory + "/sample_differential"

    static func run(_ options: DifferentialOptions) throws -> SampleDifferential.Result {
        let values = try MatrixTable.read(folder + "/pseudobulk.tsv")
        let metadata = try SampleMetadata.read(folder + "/samples.tsv", columns: SampleDifferential.columns(options), code: "differential.samples")
        return try SampleDifferential(values: values, metadata: metadata, options: options).run()
    }

    static func options(
        reference: String? = nil, groups: [String]? = nil, pairBy: String? = nil, method: DifferentialMethod = .wilcoxon,
        effect: DifferentialEffect = .activityDifference, stratify: [String] = []
    ) -> DifferentialOptions {
        var options = DifferentialOptions(groupBy: "source")
        options.reference = reference
        options.groups = groups
        options.pairBy = pairBy
        options.method = method
        options.effect = effect
        options.stratify = stratify
        return options
    }

    static let cases: [(String, DifferentialOptions)] = [
        ("paired_wilcoxon", options(reference: "NAT", groups: ["Tumor"], pairBy: "patient")),
        ("paired_ttest", options(reference: "NAT", groups: ["Tumor"], pairBy: "patient", method: .tTest, effect: .logFoldChange)),
        ("paired_by_tissue", options(reference: "NAT", groups: ["Tumor"], pairBy: "patient", stratify: ["tissue"])),
        ("unpaired_wilcoxon", options(reference: "Blood")),
        ("welch_rest", options(method: .tTest, effect: .logFoldChange, stratify: ["tissue"])),
    ]

    @Test("each case equals scipy's wilcoxon, mannwhitneyu, ttest_rel or ttest_ind", arguments: cases.indices)
    func reference(index: Int) throws {
        let (name, options) = Self.cases[index]
        let result = try Self.run(options)
        #expect(try ReferenceTable.compare(result.table, with: Self.folder + "/\(name).tsv") == [])
    }

    @Test("pairs drop the patients without a partner and say so")
    func unpairedSamplesNoted() throws {
        let result = try Self.run(Self.options(reference: "NAT", groups: ["Tumor"], pairBy: "patient"))
        // Colon1 has only NAT, Colon2 only Tumor: 25 tumour and NAT samples, 12 pairs.
        #expect(result.comparisons.map(\.samples) == [12])
        #expect(result.notes.contains("2 samples of 'Tumor' or 'NAT' have no partner of the same patient and are left out"))
    }

    @Test("pairing needs a reference and one sample per patient and group")
    func pairingErrors() throws {
        #expect(throws: AnalysisError.self) { try Self.run(Self.options(pairBy: "patient")) }
        do {
            _ = try Self.run(Self.options(pairBy: "patient"))
        } catch let error as AnalysisError {
            #expect(error.code == "differential.pair-reference")
        }
        // Pairing by tissue puts several samples of one tissue on each side.
        do {
            _ = try Self.run(Self.options(reference: "NAT", pairBy: "tissue"))
            Issue.record("pairing by tissue should fail")
        } catch let error as AnalysisError {
            #expect(error.code == "differential.pair-duplicate")
            #expect(error.message.contains("has more than one sample of"))
        }
        for (options, code) in [
            (Self.options(reference: "Spleen"), "differential.unknown-reference"), (Self.options(stratify: ["source"]), "differential.same-column"),
            (Self.options(method: .tTestOverestimatedVariance, stratify: ["tissue"]), "differential.method"),
        ] {
            do {
                _ = try Self.run(options)
                Issue.record("\(code) expected")
            } catch let error as AnalysisError {
                #expect(error.code == code)
            }
        }
    }

    @Test("the CLI tests a text table at the sample level and writes differential.tsv")
    func command() async throws {
        let folder = try TemporaryDirectory("sample-differential")
        let result = try await SluiceBinary.run(
            [
                "analyze", "differential", Self.folder + "/pseudobulk.tsv", "--samples", Self.folder + "/samples.tsv", "--groupby", "source",
                "--reference", "NAT", "--groups", "Tumor", "--pair-by", "patient", "--effect", "activity-diff", "--output", folder.path,
            ], in: folder.path)
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("paired by patient"))
        let ours = try String(contentsOfFile: folder.file("differential.tsv"), encoding: .utf8)
        let reference = try String(contentsOfFile: Self.folder + "/paired_wilcoxon.tsv", encoding: .utf8)
        #expect(ours.split(separator: "\n").first == reference.split(separator: "\n").first)
        #expect(ours.split(separator: "\n").count == reference.split(separator: "\n").count)
        // Cells cannot be paired.
        let cells = try await SluiceBinary.run(
            ["analyze", "differential", Fixtures.directory + "/studies/composition.h5ad", "--groupby", "condition", "--pair-by", "sample", "--output", folder.path],
            in: folder.path)
        #expect(cells.status != 0 && cells.standardError.contains("--pair-by"))
    }
}
