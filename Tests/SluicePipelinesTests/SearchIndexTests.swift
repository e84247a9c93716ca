import Foundation
import SluiceTestSupport
import Testing

@testable import SluicePipelines

/// `sluice index build|query`: entities from signature matrices, the HGNC table, a hierarchy and
/// a metadata table; ranking exact > prefix > contains > two edits, ties by type, length, name.
@Suite struct SearchIndexTests {
    /// Small files of each kind, as the real ones are laid out.
    static func files(in folder: TemporaryDirectory) throws -> [String] {
        let cytosig = folder.file("signature.cytosig.tsv")
        try "Activin A\tIFN1\tIL6\tTNFA\nINHBA\t1.5\t0.1\t-0.2\t0.3\nSTAT1\t0.2\t2.1\t0.4\t0.1\n".write(toFile: cytosig, atomically: true, encoding: .utf8)
        let secact = folder.file("secact.tsv")
        try "gene\tIL6\tCXCL12\nSTAT3\t0.5\t0.1\n".write(toFile: secact, atomically: true, encoding: .utf8)
        let hgnc = folder.file("hgnc_complete_set.txt")
        let rows = [
            ["HGNC:6018", "IL6", "Approved", "IFNB2|BSF2", "", "ENSG00000136244"],
            ["HGNC:6019", "IL6R", "Approved", "CD126", "", "ENSG00000160712"],
            ["HGNC:6021", "IL6ST", "Approved", "CD130", "", "ENSG00000134352"],
            ["HGNC:5995", "IL16", "Approved", "", "", "ENSG00000172349"],
            ["HGNC:6001", "IL2", "Approved", "", "", "ENSG00000109471"],
            ["HGNC:5434", "IFNB1", "Approved", "IFNB", "IFB", "ENSG00000171855"],
            ["HGNC:5417", "IFNA1", "Approved", "", "IFL", "ENSG00000197919"],
            ["HGNC:11892", "TNF", "Approved", "TNFA|DIF", "TNFA", "ENSG00000232810"],
            ["HGNC:99999", "OLD1", "Withdrawn", "", "", ""],
        ]
        try (["hgnc_id\tsymbol\tstatus\talias_symbol\tprev_symbol\tensembl_gene_id"] + rows.map { $0.joined(separator: "\t") }).joined(separator: "\n")
            .write(toFile: hgnc, atomically: true, encoding: .utf8)
        let hierarchy = folder.file("celltypes.tsv")
        try "L1\tL2\tL3\nlymphoid\tCD4 T\tCD4 naive T\nlymphoid\tCD8 T\t\nmyeloid\tMono\tCD14 Mono\n".write(toFile: hierarchy, atomically: true, encoding: .utf8)
        let metadata = folder.file("obs.csv")
        try "cell,cell_type,disease,tissue\nc1,CD4 naive T,COVID-19,blood\nc2,\"B cell, naive\",healthy,NA\nc3,CD14 Mono,COVID-19,lung\n".write(
            toFile: metadata, atomically: true, encoding: .utf8)
        return [cytosig, "secact:" + secact, hgnc, hierarchy, metadata]
    }

    static func index(in folder: TemporaryDirectory) throws -> SearchIndex {
        var builder = SearchIndexBuilder()
        for file in try files(in: folder) { try builder.add(try SearchIndexBuilder.Input(file)) }
        try SearchIndex.write(builder.entities, to: folder.file("atlas.index"))
        return try SearchIndex(path: folder.file("atlas.index"))
    }

    @Test func queriesRankExactThenPrefixThenContainsThenTwoEdits() throws {
        let folder = try TemporaryDirectory("sluice-index")
        let index = try Self.index(in: folder)
        let found = index.query("il6", limit: 50).map { "\($0.score) \($0.entity.type.rawValue) \($0.entity.name)" }
        #expect(
            found == [
                "100 cytokine IL6", "100 secreted_protein IL6", "100 gene IL6", "80 gene IL6R", "80 gene IL6ST", "40 gene IFB", "40 gene IFL", "40 gene IL2",
                "40 gene IL16",
            ], "\(found)")
        // Case aside, blanks around the query aside; a part of a name scores 60.
        #expect(index.query("  Naive T ").map { "\($0.score) \($0.entity.name)" } == ["60 CD4 naive T"])
        // Within two edits, not three.
        #expect(index.query("interleukin").isEmpty)
        // Two edits: a cytokine first, then genes, shorter names first.
        #expect(index.query("IFNB3").map(\.entity.name) == ["IFN1", "IFB", "IFNB", "IFNA1", "IFNA2", "IFNB1", "IFNB2", "IFNW1"])
        #expect(index.query("lymphoit").map { "\($0.score) \($0.entity.name)" } == ["40 lymphoid"])
        // One type only.
        #expect(index.query("il6", type: .secretedProtein).map(\.entity.name) == ["IL6"])
        #expect(index.query("t", type: .cellType).map(\.entity.name) == ["CD4 T", "CD8 T", "CD4 naive T"])
    }

    @Test func entitiesCarryWhatTheFilesSayOfThem() throws {
        let folder = try TemporaryDirectory("sluice-index-entities")
        let index = try Self.index(in: folder)
        func entity(_ name: String, _ type: SearchEntityType) -> SearchEntity? { index.entities.first { $0.name == name && $0.type == type } }
        // A CytoSig family name and the genes it stands for, both ways.
        #expect(entity("IFN1", .cytokine)?.detail == "CytoSig signature; genes: IFNA1, IFNA2, IFNB1, IFNW1")
        #expect(entity("IFNA1", .gene)?.detail == "in CytoSig's IFN1; HGNC:5417, ENSG00000197919", "\(String(describing: entity("IFNA1", .gene)))")
        #expect(entity("TNFA", .cytokine)?.detail == "CytoSig signature; genes: TNF")
        #expect(entity("TNFA", .gene)?.detail == "alias of TNF; previous symbol of TNF")
        #expect(entity("Activin A", .cytokine) != nil && entity("CXCL12", .secretedProtein)?.detail == "SecAct signature")
        #expect(entity("IFNB", .gene)?.detail == "alias of IFNB1" && entity("IFB", .gene)?.detail == "previous symbol of IFNB1")
        #expect(entity("OLD1", .gene) == nil, "a withdrawn symbol was indexed")
        #expect(entity("CD4 naive T", .cellType)?.detail == "L3; parent: CD4 T; cell_type")
        #expect(entity("CD4 naive T", .cellType)?.sources == folder.file("celltypes.tsv") + "; " + folder.file("obs.csv"))
        #expect(entity("B cell, naive", .cellType) != nil && entity("COVID-19", .disease) != nil && entity("lung", .organ) != nil)
        #expect(entity("NA", .organ) == nil)
        // The signature matrices' gene rows are not entities of their own.
        #expect(entity("STAT1", .gene) == nil)
    }

    @Test func badInputsAndIndexesAreOneSentence() throws {
        let folder = try TemporaryDirectory("sluice-index-errors")
        let plain = folder.file("plain.tsv")
        try "sample\tvalue\ns1\t3\n".write(toFile: plain, atomically: true, encoding: .utf8)
        var builder = SearchIndexBuilder()
        #expect(throws: AnalysisError.self) { try builder.add(try SearchIndexBuilder.Input(plain)) }
        let labels = folder.file("labels.tsv")
        try "cell\tcell_type\nc1\tT cell\n".write(toFile: labels, atomically: true, encoding: .utf8)
        let notMatrix = #expect(throws: AnalysisError.self) { try builder.add(try SearchIndexBuilder.Input("cytosig:" + labels)) }
        #expect(notMatrix?.code == "index.not-a-matrix")
        #expect(throws: AnalysisError.self) { try SearchIndexBuilder.Input(folder.file("missing.tsv")) }
        let error = #expect(throws: AnalysisError.self) { try SearchIndex(path: plain) }
        #expect(error?.code == "index.format", "\(String(describing: error))")
        #expect((#expect(throws: AnalysisError.self) { try SearchIndex(path: folder.file("none.index")) })?.code == "index.missing")
    }

    /// The banded edit distance agrees with the full dynamic programme wherever it says ≤ 2.
    @Test func twoEditsAgreesWithTheFullEditDistance() {
        func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var next = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(1, b.count) where !b.isEmpty {
                    next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                row = next
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 {
            let a = (0..<Int.random(in: 0...7, using: &generator)).map { _ in UInt8.random(in: 97...99, using: &generator) }
            let b = (0..<Int.random(in: 0...7, using: &generator)).map { _ in UInt8.random(in: 97...99, using: &generator) }
            let banded = a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in SearchIndex.isWithinTwoEdits(x, y) } }
            #expect(banded == (distance(a, b) <= 2), "\(a) \(b)")
        }
    }

    @Test func theCommandBuildsAndQueries() async throws {
        let folder = try TemporaryDirectory("sluice-index-cli")
        let files = try Self.files(in: folder)
        let built = try await SluiceBinary.run(["index", "build"] + files + ["-o", "atlas.index"], in: folder.path)
        #expect(built.status == 0 && built.standardOutput.contains("4 cytokine, 2 secreted_protein"), "\(built)")
        let query = try await SluiceBinary.run(["index", "query", "tnfa", "--index", "atlas.index", "--json"], in: folder.path)
        #expect(query.status == 0, "\(query)")
        let matches = try JSONDecoder().decode([SearchMatch].self, from: Data(query.standardOutput.utf8))
        #expect(matches.map { "\($0.score) \($0.entity.type.rawValue) \($0.entity.name)" } == ["100 cytokine TNFA", "100 gene TNFA", "40 gene TNF"])
        let wrong = try await SluiceBinary.run(["index", "query", "x", "--index", "atlas.index", "--type", "protein"], in: folder.path)
        #expect(wrong.status == 2 && wrong.standardError.contains("--type must be one of"), "\(wrong)")
    }
}
