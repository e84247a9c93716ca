import Foundation
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice analyze scores` against scanpy's `score_genes` on 200 real T cells
/// (Tests/Fixtures/scores, from scripts/reference/make_scores_reference.py).
@Suite("marker-gene scores equal scanpy's score_genes")
struct ScoresTests {
    static let folder = Fixtures.directory + "/scores"

    static func run(_ markers: MarkerSets, chunkSize: Int, cells: String?) throws -> MarkerScores.Result {
        var study = MarkerScores(source: try CellSourceOpener.open(folder + "/tcells.h5ad"), markers: markers)
        study.normalize = true
        study.by = ["cell_type", "source"]
        study.chunkSize = chunkSize
        study.cellScoresPath = cells
        return try study.run()
    }

    @Test("built-in and user sets: the sets, each cell's score and the group means", arguments: ["defaults", "custom"])
    func reference(name: String) throws {
        let markers = name == "defaults" ? MarkerSets.defaults : try MarkerSets.read(Self.folder + "/markers.tsv")
        let folder = try TemporaryDirectory("scores")
        // Chunks of 37 cells: the two passes stream.
        let result = try Self.run(markers, chunkSize: 37, cells: folder.file("scores.h5ad"))
        let tables = result.tables
        #expect(try ReferenceTable.compare(tables[0], with: Self.folder + "/\(name)_sets.tsv") == [])
        // scanpy sums each cell's genes in float32 (scipy's sparse sum keeps the matrix's dtype
        // even when asked for float64), Sluice in float64: they agree to float32's rounding.
        let groups = try ReferenceTable.compare(tables[1], with: Self.folder + "/\(name)_groups.tsv", absolute: 2e-6)
        #expect(groups == [], "\(groups.prefix(4))")
        // Each cell's scores (float32 in scores.h5ad) against scanpy's.
        let reference = try String(contentsOfFile: Self.folder + "/\(name)_cells.tsv", encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: "\t").map(String.init) }
        let cells = try CellSourceOpener.open(folder.file("scores.h5ad"))
        #expect(cells.genes.index == Array(reference[0].dropFirst()))
        let batch = try cells.read(cells: 0..<cells.cellCount)
        #expect(batch.obs.index == reference.dropFirst().map { $0[0] })
        var largest = 0.0
        for (cell, fields) in reference.dropFirst().enumerated() {
            let (columns, values) = batch.matrix.row(cell)
            var dense = [Float](repeating: 0, count: cells.geneCount)
            for (column, value) in zip(columns, values) { dense[Int(column)] = value }
            for (set, field) in fields.dropFirst().enumerated() { largest = max(largest, abs(Double(dense[set]) - Double(field)!)) }
        }
        #expect(largest <= 1e-6, "largest difference of a cell's score: \(largest)")
    }

    @Test("sets without any gene in the file are skipped and noted")
    func missingGenes() throws {
        let result = try Self.run(try MarkerSets.read(Self.folder + "/markers.tsv"), chunkSize: 1000, cells: nil)
        #expect(result.sets.map(\.name) == ["exhausted", "cytotoxic"])
        #expect(result.notes.contains { $0.contains("set 'absent': none of its genes") })
        #expect(result.notes.contains { $0.contains("set 'exhausted': 1 of its genes are not in the file: 'NOTAGENE1'") })
    }

    @Test("a file without any marker gene scores nothing, with a note, and writes no per-cell file")
    func nothingToScore() throws {
        let folder = try TemporaryDirectory("scores")
        let result = try Self.run(MarkerSets([("absent", ["NOTAGENE"])]), chunkSize: 1000, cells: folder.file("scores.h5ad"))
        #expect(result.sets.isEmpty && result.groups.isEmpty)
        #expect(result.notes.last?.contains("no marker set can be scored") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.file("scores.h5ad")))
    }
}
