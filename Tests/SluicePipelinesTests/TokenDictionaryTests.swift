import Foundation
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// A corpus tokenized with dictionaries it is given (a foundation model's token dictionary and
/// gene medians) and a model family's preset: the tables read as users have them, refused with
/// one sentence when they cannot be right, and Geneformer's 95M layout around every cell.
/// (Tokens equal to Geneformer's logic on real files: scripts/crosscheck/check-geneformer.sh.)
@Suite struct TokenDictionaryTests {
    @Test func tablesReadFromJSONAndTSV() throws {
        let scratch = try TemporaryDirectory()
        try Data(#"{"<pad>": 0, "ENSG1": 4, "ENSG2": 5.0}"#.utf8).write(to: URL(fileURLWithPath: scratch.file("t.json")))
        try Data("gene\tmedian\nENSG1\t1.5\nENSG2\t0.25\n".utf8).write(to: URL(fileURLWithPath: scratch.file("m.tsv")))
        #expect(try GeneValueTable(path: scratch.file("t.json"), what: "token dictionary").values == ["<pad>": 0, "ENSG1": 4, "ENSG2": 5])
        #expect(try GeneValueTable(path: scratch.file("m.tsv"), what: "median table").values == ["ENSG1": 1.5, "ENSG2": 0.25])
        let vocabulary = try Vocabulary(tokenDictionary: GeneValueTable(path: scratch.file("t.json"), what: "token dictionary"))
        #expect(vocabulary.special_tokens == ["<pad>": 0])
        #expect(vocabulary.genes.map(\.name) == ["ENSG1", "ENSG2"] && vocabulary.genes.map(\.token) == [4, 5])
        #expect(vocabulary.size == 3)
    }

    @Test(
        "a table that cannot be right is one sentence",
        arguments: [
            ("t.json", #"{"ENSG1": 4, "ENSG2": 4}"#, "the same token id 4"),
            ("t.json", #"{"ENSG1": 4.5}"#, "not a whole number"),
            ("t.json", #"["ENSG1"]"#, "not a JSON object"),
            ("t.tsv", "ENSG1\t4\nENSG1\t5\n", "a second time"),
            ("t.tsv", "ENSG1\t4\nENSG2\tfour\n", "not a number"),
            ("t.tsv", "ENSG1 4\n", "expected gene<TAB>value"),
            ("t.json", "{}", "holds no genes"),
        ])
    func badTables(_ name: String, _ text: String, _ expected: String) throws {
        let scratch = try TemporaryDirectory()
        try Data(text.utf8).write(to: URL(fileURLWithPath: scratch.file(name)))
        let error = #expect(throws: FormatError.self) {
            _ = try Vocabulary(tokenDictionary: GeneValueTable(path: scratch.file(name), what: "token dictionary"))
        }
        #expect(error?.description.contains(expected) == true, "\(error?.description ?? "")")
        #expect(error?.description.contains("\n") == false)
    }

    /// One run per preset on the same file and dictionaries: the 95M cells are the 30M cells
    /// between `<cls>` and `<eos>` (no cell here has 2,048 genes); genes outside the dictionary
    /// or without a median never appear; the shards say which medians and preset made them.
    @Test func geneformerPresetsWrapTheSameRanking() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try PreprocessRunTests.makeDataset(input, cells: 120, seed: 9)
        let ids = (0..<60).map { String(format: "ENSG%011d", $0 + 1) }
        var tokens: [String: Int] = ["<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3]
        for (k, id) in ids.enumerated() where k % 10 != 3 { tokens[id] = 100 + (k * 37) % 60 }
        let medians = Dictionary(uniqueKeysWithValues: ids.enumerated().filter { $0.offset % 10 != 5 }.map { ($0.element, [0.5, 1, 2.5][$0.offset % 3]) })
        try JSONEncoder().encode(tokens).write(to: URL(fileURLWithPath: scratch.file("tokens.json")))
        try JSONEncoder().encode(medians).write(to: URL(fileURLWithPath: scratch.file("medians.json")))
        var cells: [TokenPreset: [String: [Int32]]] = [:]
        for preset in TokenPreset.allCases {
            var options = PreprocessRunTests.options(scratch.file(preset.rawValue))
            options.vocabularyPath = scratch.file("tokens.json")
            options.mediansPath = scratch.file("medians.json")
            options.preset = preset
            preset.apply(to: &options.convert)
            let outcome = PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()[0]
            #expect(outcome.succeeded, "\(outcome.reason ?? "")")
            cells[preset] = try Self.tokens(options.outputDirectory + "/data")
            let report = try JSONDecoder().decode(PreprocessReport.self, from: Data(contentsOf: URL(fileURLWithPath: options.outputDirectory + "/data/report.json")))
            #expect(report.options.preset == preset.rawValue && report.options.vocabulary == "tokens.json")
            #expect(report.options.medians_sha256?.count == 64)
        }
        let small = try #require(cells[.geneformer30m]), large = try #require(cells[.geneformer95m])
        #expect(small.count == 120 && Set(small.keys) == Set(large.keys))
        let unusable = Set([3, 13, 23, 33, 43, 53, 5, 15, 25, 35, 45, 55].compactMap { tokens[ids[$0]] }.map(Int32.init))
        for (cell, genes) in small {
            #expect(large[cell] == [2] + genes + [3], "\(cell)")
            #expect(!genes.contains { unusable.contains($0) || $0 < 100 }, "\(cell): \(genes)")
        }
        #expect(small.values.contains { $0.count > 3 })
    }

    /// The 95M preset needs `<cls>` and `<eos>`; a dictionary without them fails the dataset
    /// with a sentence that says so.
    @Test func theLargePresetNeedsItsSpecialTokens() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try PreprocessRunTests.makeDataset(input, cells: 30, seed: 2)
        let tokens = Dictionary(uniqueKeysWithValues: (0..<60).map { (String(format: "ENSG%011d", $0 + 1), $0 + 2) }).merging(["<pad>": 0, "<mask>": 1]) { a, _ in a }
        try JSONEncoder().encode(tokens).write(to: URL(fileURLWithPath: scratch.file("tokens.json")))
        var options = PreprocessRunTests.options(scratch.path)
        options.vocabularyPath = scratch.file("tokens.json")
        options.preset = .geneformer95m
        TokenPreset.geneformer95m.apply(to: &options.convert)
        let outcome = PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()[0]
        #expect(!outcome.succeeded)
        #expect(outcome.errorCode == "no-special-tokens")
        #expect(outcome.reason?.contains("<cls> and <eos>") == true, "\(outcome.reason ?? "")")
    }

    /// A digest file reads back as it was written; digests of datasets with different genes
    /// merge gene by gene; a damaged file is one sentence.
    @Test func digestFilesRoundTripAndMerge() throws {
        let scratch = try TemporaryDirectory()
        func file(_ genes: [String], _ values: [[Double]]) -> GeneDigestFile {
            var digest = MedianDigest(genes: genes.count)
            for (gene, list) in values.enumerated() { for value in list { digest.add(gene: gene, value: value) } }
            return GeneDigestFile(genes: genes, digest: digest)
        }
        let a = file(["ENSG2", "ENSG1"], [[1, 2, 3], [10]])
        let b = file(["ENSG3", "ENSG2"], [[5], [4, 5]])
        try a.write(to: scratch.file("a.digest"))
        try b.write(to: scratch.file("b.digest"))
        let read = try GeneDigestFile(contentsOf: scratch.file("a.digest"))
        #expect(read.genes == ["ENSG1", "ENSG2"] && read.digest.count(gene: 1) == 3)
        #expect(
            try GeneDigestFile.medians(of: [scratch.file("a.digest")]).medians == [
                "ENSG2": a.digest.median(gene: 0)!, "ENSG1": a.digest.median(gene: 1)!,
            ])
        try GeneDigestFile.merge(paths: [scratch.file("a.digest"), scratch.file("b.digest")], to: scratch.file("m1.digest"))
        let merged = try GeneDigestFile(contentsOf: scratch.file("m1.digest"))
        #expect(merged.genes == ["ENSG1", "ENSG2", "ENSG3"])
        #expect(merged.digest.count(gene: 1) == 5)
        let medians = try GeneDigestFile.medians(of: [scratch.file("m1.digest")]).medians
        #expect(abs(medians["ENSG2"]! - 3) <= 0.003 && abs(medians["ENSG1"]! - 10) <= 0.01 && abs(medians["ENSG3"]! - 5) <= 0.005)
        // Merged in any order, the same bytes; medians of a merge equal those of the files merged.
        try GeneDigestFile.merge(paths: [scratch.file("b.digest"), scratch.file("a.digest")], to: scratch.file("m2.digest"))
        #expect(FileManager.default.contents(atPath: scratch.file("m1.digest")) == FileManager.default.contents(atPath: scratch.file("m2.digest")))
        #expect(try GeneDigestFile.medians(of: [scratch.file("b.digest"), scratch.file("a.digest")]).medians == medians)
        // Genes out of order cannot be merged in step: refused.
        var swapped = Data("SLUICE-DIGEST-2\n".utf8)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { swapped.append(contentsOf: $0) } }
        append((0.001).bitPattern)
        append(UInt32(2))
        for id in ["B", "A"] {
            append(UInt32(1))
            swapped.append(contentsOf: Array(id.utf8))
            append(UInt32(1))
            append(Int32(5))
            swapped.append(contentsOf: [0, 1])
        }
        try swapped.write(to: URL(fileURLWithPath: scratch.file("swapped.digest")))
        let unordered = #expect(throws: FormatError.self) { try GeneDigestFile.merge(paths: [scratch.file("swapped.digest")], to: scratch.file("m3.digest")) }
        #expect(unordered?.description.contains("out of order") == true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: scratch.file("a.digest")))
        try bytes.dropLast(3).write(to: URL(fileURLWithPath: scratch.file("cut.digest")))
        let error = #expect(throws: FormatError.self) { _ = try GeneDigestFile(contentsOf: scratch.file("cut.digest")) }
        #expect(error?.description.contains("ends early") == true)
        // Buckets spread over billions would be an allocation of gigabytes: refused.
        var hostile = Data("SLUICE-DIGEST-2\n".utf8)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { hostile.append(contentsOf: $0) } }
        put((0.001).bitPattern)
        put(UInt32(1))
        put(UInt32(1))
        hostile.append(contentsOf: Array("G".utf8))
        put(UInt32(2))
        put(Int32.min)
        // Steps 0 and 2^32 - 1 (LEB128), each counted once.
        hostile.append(contentsOf: [0, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 1])
        try hostile.write(to: URL(fileURLWithPath: scratch.file("wide.digest")))
        let wide = #expect(throws: FormatError.self) { _ = try GeneDigestFile(contentsOf: scratch.file("wide.digest")) }
        #expect(wide?.description.contains("spread too wide") == true)
    }

    /// Each cell's `input_ids`, by cell id, from every shard under `folder`.
    static func tokens(_ folder: String) throws -> [String: [Int32]] {
        var cells: [String: [Int32]] = [:]
        for (relative, _) in PreprocessRunTests.files(folder) where relative.hasSuffix(".parquet") {
            let table = try ParquetReader(path: folder + "/" + relative).readAll(columns: ["cell_id", "input_ids"])
            guard case .string(let ids) = table.columns[0].values, case .int32(let values) = table.columns[1].values,
                let offsets = table.columns[1].listOffsets
            else { continue }
            for (row, id) in ids.strings.enumerated() { cells[id] = Array(values[offsets[row]..<offsets[row + 1]]) }
        }
        return cells
    }
}
