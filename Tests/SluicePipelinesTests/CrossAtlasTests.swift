import Foundation
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze cross-atlas` equals statsmodels, scipy and numpy on three atlases cut from
/// real PBMC data (Tests/Fixtures/cross_atlas, from scripts/reference/make_cross_atlas_reference.py).
@Suite struct CrossAtlasTests {
    static let folder = Fixtures.directory + "/cross_atlas"

    static func study() throws -> (CrossAtlasStudy, CrossAtlasStudy.Result) {
        let atlases = try ["atlas_a", "atlas_b", "atlas_c"].map { try AtlasActivity.read(folder + "/" + $0) }
        let mapping = CellTypeMapping(atlases: atlases.map { ($0.name, $0.zscore.columns) }, user: try CellTypeMapping.readUser(folder + "/mapping_user.tsv"))
        var study = CrossAtlasStudy(atlases: atlases, mapping: mapping)
        study.topK = 5
        study.adjust = true
        return (study, try study.run())
    }

    @Test func everyTableEqualsTheReference() throws {
        let (study, result) = try Self.study()
        let tables = study.tables(result)
        #expect(tables.map(\.name) == ["harmonized", "mapping", "meta", "consistency", "correlation", "conserved", "conserved_everywhere"])
        for table in tables {
            let mismatches = try ReferenceTable.compare(table, with: Self.folder + "/\(table.name).tsv")
            #expect(mismatches.isEmpty, "\(mismatches.prefix(10).joined(separator: "\n"))")
        }
        // Each way of matching a cell type was used.
        #expect(Set(study.mapping.entries.map(\.method)) == [.first, .user, .exact, .normalized, .fuzzy])
    }

    /// statsmodels' combine_effects on a heterogeneous case (I² and τ² above 0), and scipy's chi2.sf.
    @Test func metaAnalysisAndChiSquaredEqualTheReferences() {
        let meta = MetaAnalysis.combine(effects: [0.5, 0.8, 0.2], standardErrors: [0.04, 0.09, 0.01].map { $0.squareRoot() })
        let expected: [(Double, Double)] = [
            (meta.effect, 0.3040816326530612), (meta.se, 0.08571428571428572), (meta.q, 4.7755102040816375), (meta.qPvalue, 0.09183561422766998),
            (meta.i2, 0.5811965811965816), (meta.tau2, 0.04857142857142865), (meta.randomEffect, 0.4168914066863481),
            (meta.randomSE, 0.16764750729251557),
        ]
        for (ours, theirs) in expected { #expect(ReferenceTable.close(ours, theirs), "\(ours) ≠ \(theirs)") }
        for (x, k, p) in [(0.5, 1.0, 0.47950012218695337), (3.2, 4, 0.5249309467861041), (40, 7, 1.258790387371308e-06), (1e-3, 2, 0.9995001249791693), (100, 3, 1.5541594313896026e-21)] {
            #expect(ReferenceTable.close(ChiSquared.survival(x, degreesOfFreedom: k), p), "chi2.sf(\(x), \(k))")
        }
        // One study: its own effect, no heterogeneity; none: undefined.
        let one = MetaAnalysis.combine(effects: [0.3, .nan], standardErrors: [0.1, 0.2])
        #expect(one.studies == 1 && one.effect == 0.3 && one.q.isNaN && one.i2.isNaN)
        #expect(MetaAnalysis.combine(effects: [0.3], standardErrors: [0]).effect.isNaN)
    }

    @Test func cellTypeNamesAreNormalisedAndCompared() {
        #expect(CellTypeMapping.normalized("CD4+ T-cells") == "cd4 t cell")
        #expect(CellTypeMapping.normalized("Class") == "class")
        #expect(CellTypeMapping.similarity("kitten", "sitting") == 1 - 3.0 / 7)
        #expect(CellTypeMapping.similarity("", "") == 1 && CellTypeMapping.similarity("a", "") == 0)
        // Two cell types of one atlas never share a common name; an unmatched one starts its own.
        let mapping = CellTypeMapping(atlases: [("a", ["T cell"]), ("b", ["T cells", "T-cell", "Platelet"])])
        #expect(mapping.entries.map(\.common) == ["T cell", "T cell", "T-cell", "Platelet"])
        #expect(mapping.entries.map(\.method) == [.first, .normalized, .unmatched, .unmatched])
        // An exact name is settled before a looser match could take it.
        let exactFirst = CellTypeMapping(atlases: [("a", ["NK cell"]), ("b", ["NK cells", "NK cell"])])
        #expect(exactFirst.entries.map(\.common) == ["NK cell", "NK cells", "NK cell"])
        #expect(exactFirst.entries.map(\.method) == [.first, .unmatched, .exact])
        // A name the user gave one cell type is not matched by another of the same atlas.
        let user = CellTypeMapping(
            atlases: [("a", ["CD4 T cell"]), ("b", ["CD4+ T", "CD4 T cells", "CD4 T cell"])], user: [("b", "CD4+ T", "CD4 T cell")])
        #expect(user.entries.map(\.common) == ["CD4 T cell", "CD4 T cell", "CD4 T cells", "CD4 T cell (b)"])
        #expect(user.entries.map(\.method) == [.first, .user, .unmatched, .unmatched])
    }

    @Test func theCommandWritesEveryTable() async throws {
        let folder = try TemporaryDirectory("sluice-cross-atlas")
        let run = try await SluiceBinary.run(
            [
                "analyze", "cross-atlas", Self.folder + "/atlas_a", "b=" + Self.folder + "/atlas_b", Self.folder + "/atlas_c/zscore.tsv",
                "--mapping", Self.folder + "/mapping_user.tsv", "--format", "json", "--output", folder.path,
            ], in: folder.path)
        #expect(run.status == 0, "\(run.standardError)")
        // Named b, the second atlas misses its mapping row (atlas_b's "Dendritic cells"): 17 of 18 match.
        #expect(run.standardOutput.contains("3 atlases, 17 cell types matched"), "\(run.standardOutput)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("cross_atlas.json")))) as! [String: Any]
        let meta = (json["tables"] as! [String: Any])["meta"] as! [[String: Any]]
        // atlas_c came as a z-score table without β and SE: the meta-analyses have a and b.
        #expect(!meta.isEmpty && meta.allSatisfy { ($0["atlases"] as! Int) <= 2 })
        let unnamed = try await SluiceBinary.run(
            ["analyze", "cross-atlas", Self.folder + "/atlas_a", Self.folder + "/atlas_b", "--cell-counts", "groups.tsv", "--output", folder.path],
            in: folder.path)
        #expect(unnamed.status == 2 && unnamed.standardError.contains("--cell-counts takes NAME=FILE"), "\(unnamed.standardError)")
        let lone = try await SluiceBinary.run(["analyze", "cross-atlas", Self.folder + "/atlas_a", "--output", folder.path], in: folder.path)
        #expect(lone.status == 2 && lone.standardError.contains("at least two atlases"), "\(lone.standardError)")
    }
}
