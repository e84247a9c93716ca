import Foundation
import SluiceFormats
import SluicePipelines
import SluiceTestSupport
import Testing

/// CITE-seq and CRISPR-screen files type their features; only gene expression counts as genes
/// unless asked otherwise, so antibody counts never reach QC, normalisation, medians or tokens.
@Suite("Feature types")
struct FeatureTypeTests {
    static let antibodies: Set<Int> = [5, 17, 30]

    /// A 10x Matrix Market folder of synthetic counts whose features `antibodies` are typed
    /// Antibody Capture (with large counts, as ADT counts are); `geneExpressionOnly` leaves them out.
    static func write(_ folder: String, geneExpressionOnly: Bool) throws {
        let generator = SyntheticCounts(cells: 50, genes: 33, density: 0.3, seed: 11)
        let batch = generator.batch(0..<50)
        let kept = (0..<33).filter { !geneExpressionOnly || !antibodies.contains($0) }
        let position = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0 + 1) })
        var entries: [String] = []
        for cell in 0..<50 {
            let (columns, values) = batch.matrix.row(cell)
            for (gene, value) in zip(columns, values) {
                guard let row = position[Int(gene)] else { continue }
                let count = antibodies.contains(Int(gene)) ? value * 100 + 7 : value
                entries.append("\(row) \(cell + 1) \(Int(count))")
            }
        }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let header = "%%MatrixMarket matrix coordinate integer general\n\(kept.count) 50 \(entries.count)\n"
        try (header + entries.joined(separator: "\n") + "\n").write(toFile: folder + "/matrix.mtx", atomically: true, encoding: .utf8)
        let features = kept.map { gene in
            antibodies.contains(gene) ? "ADT\(gene)\tCD\(gene)_TotalSeqB\tAntibody Capture" : "ENSG\(gene)\tGENE\(gene)\tGene Expression"
        }
        try (features.joined(separator: "\n") + "\n").write(toFile: folder + "/features.tsv", atomically: true, encoding: .utf8)
        let barcodes = (0..<50).map { "CELL\($0)-1" }.joined(separator: "\n") + "\n"
        try barcodes.write(toFile: folder + "/barcodes.tsv", atomically: true, encoding: .utf8)
    }

    @Test("gene expression only by default; the counts equal a file without the antibodies")
    func defaultKeepsGeneExpression() throws {
        let scratch = try TemporaryDirectory()
        try Self.write(scratch.file("cite"), geneExpressionOnly: false)
        try Self.write(scratch.file("gex"), geneExpressionOnly: true)
        let cite = try CellSourceOpener.open(scratch.file("cite"))
        let gex = try CellSourceOpener.open(scratch.file("gex"))
        #expect(cite.geneCount == 30)
        #expect(cite.genes.index == gex.genes.index)
        #expect(try cite.read(cells: 0..<50).matrix == gex.read(cells: 0..<50).matrix)
        #expect(try cite.read(cells: 7..<19).matrix == gex.read(cells: 7..<19).matrix)
        #expect((cite as? FeatureFilteredSource)?.excluded == ["Antibody Capture": 3])
    }

    @Test("--feature-types all keeps every feature, a list keeps those types")
    func choosingTypes() throws {
        let scratch = try TemporaryDirectory()
        try Self.write(scratch.file("cite"), geneExpressionOnly: false)
        let all = try CellSourceOpener.open(scratch.file("cite"), features: .all)
        #expect(all.geneCount == 33)
        let adt = try CellSourceOpener.open(scratch.file("cite"), features: FeatureSelection(argument: "Antibody Capture"))
        #expect(adt.genes.index == ["ADT5", "ADT17", "ADT30"])
        let batch = try adt.read(cells: 0..<50).matrix
        #expect(batch.columnCount == 3 && batch.values.allSatisfy { $0 >= 7 })
        #expect(throws: FormatError.self) { try CellSourceOpener.open(scratch.file("cite"), features: .types(["CRISPR Guide Capture"])) }
    }

    @Test("a CITE-seq corpus equals the gene-expression-only corpus byte for byte")
    func corpusIgnoresAntibodies() throws {
        let scratch = try TemporaryDirectory()
        try Self.write(scratch.file("in/cite"), geneExpressionOnly: false)
        try Self.write(scratch.file("in/gex"), geneExpressionOnly: true)
        var shards: [[String: Data]] = []
        for name in ["cite", "gex"] {
            let options = PreprocessRunTests.options(scratch.file("run_\(name)"))
            let outcome = PreprocessRun(datasets: [PreprocessDataset(input: scratch.file("in/\(name)"), name: "data")], options: options).run()[0]
            #expect(outcome.succeeded, "\(outcome.reason ?? "")")
            shards.append(PreprocessRunTests.files(options.outputDirectory + "/data").filter { $0.key.hasSuffix(".parquet") })
        }
        #expect(!shards[0].isEmpty)
        #expect(shards[0] == shards[1])
    }
}
