import Foundation
import SluiceEngine
import SluiceFormats
import SluiceKernels
import SluicePipelines
import SluiceTestSupport
import Testing

/// `sluice preprocess` end to end: batch isolation, determinism, split rules, age and cleaning.
@Suite("Preprocess runs")
struct PreprocessRunTests {
    static let stages = ["45-year-old human stage", "third decade human stage", "unknown", "newborn human stage"]

    /// A small cellxgene-like h5ad: synthetic counts, donors, development stages, and an empty column.
    static func makeDataset(_ path: String, cells: Int, seed: UInt64) throws {
        let generator = SyntheticCounts(cells: cells, genes: 60, density: 0.2, seed: seed)
        var schema = SyntheticCounts.cellSchema
        schema.append(.init(name: "development_stage", kind: .categorical, nullable: true))
        schema.append(.init(name: "empty_note", kind: .string, nullable: true))
        let writer = try H5ADWriter(path: path, genes: generator.geneFrame(), cellSchema: schema)
        for start in stride(from: 0, to: cells, by: 50) {
            var batch = generator.batch(start..<min(cells, start + 50))
            let n = batch.matrix.rowCount
            batch.obs.columns.append(
                FrameColumn(
                    name: "development_stage",
                    values: .categorical(codes: (0..<n).map { Int32(($0 + start) % 4) }, categories: stages, ordered: false)))
            batch.obs.columns.append(
                FrameColumn(name: "empty_note", values: .strings(Array(repeating: "", count: n)), missing: Array(repeating: true, count: n)))
            try writer.append(batch)
        }
        try writer.close()
    }

    static func options(_ root: String, chunk: Int = 40) -> PreprocessOptions {
        var options = PreprocessOptions()
        options.interimDirectory = root + "/interim"
        options.outputDirectory = root + "/output"
        options.logDirectory = root + "/logs"
        options.convert.chunkSize = chunk
        options.convert.topGenes = 25
        options.testSize = 0.25
        return options
    }

    /// Every file under `folder`, relative path → bytes.
    static func files(_ folder: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: folder)
        while let relative = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = folder + "/" + relative
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                result[relative] = FileManager.default.contents(atPath: path)
            }
        }
        return result
    }

    static func cellIDs(_ folder: String) throws -> Set<String> {
        var ids = Set<String>()
        for (relative, _) in files(folder) where relative.hasSuffix(".parquet") {
            let table = try ParquetReader(path: folder + "/" + relative).readAll(columns: ["cell_id"])
            if case .string(let strings) = table.columns[0].values { ids.formUnion(strings.strings) }
        }
        return ids
    }

    @Test("batch mode: three good files succeed, a corrupt one fails alone and leaves nothing behind")
    func batchIsolation() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("in")
        try FileManager.default.createDirectory(atPath: input, withIntermediateDirectories: true)
        for (i, name) in ["a.h5ad", "b b.h5ad", "c@c.h5ad"].enumerated() {
            try Self.makeDataset(input + "/" + name, cells: 60 + 10 * i, seed: UInt64(i))
        }
        let good = try Data(contentsOf: URL(fileURLWithPath: input + "/a.h5ad"))
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: input + "/broken.h5ad"))

        let options = Self.options(scratch.path)
        let run = PreprocessRun(datasets: PreprocessDataset.datasets(try PreprocessDataset.inputs(inFolder: input)), options: options)
        let outcomes = run.run()
        #expect(outcomes.map(\.dataset) == ["a", "b_b", "broken", "c_c"])
        #expect(outcomes.filter(\.succeeded).count == 3)
        let failure = try #require(outcomes.first { !$0.succeeded })
        #expect(failure.dataset == "broken")
        #expect(failure.errorCode == "not-hdf5")
        #expect(failure.reason?.contains("broken.h5ad") == true)
        #expect(failure.reason?.contains("\n") == false)

        let leftovers = Self.files(scratch.path).keys.filter { $0.hasSuffix(".partial") || $0.hasPrefix("interim/") }
        #expect(leftovers.isEmpty, "left behind: \(leftovers)")
        #expect(!FileManager.default.fileExists(atPath: options.outputDirectory + "/broken"))
        #expect(FileManager.default.fileExists(atPath: options.logDirectory + "/broken/pipeline.log"))
        for name in ["a", "b_b", "c_c"] {
            #expect(FileManager.default.fileExists(atPath: options.outputDirectory + "/\(name)/report.json"))
            #expect(FileManager.default.fileExists(atPath: options.logDirectory + "/\(name)/pipeline.jsonl"))
        }
        #expect(FileManager.default.fileExists(atPath: options.outputDirectory + "/vocab.json"))
        // The corpus's manifest lists the datasets done and every shard, each as it is on disk.
        let manifest = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: options.outputDirectory + "/manifest.json")))
        #expect(manifest.datasets == ["a", "b_b", "c_c"])
        let cells: Int = outcomes.filter(\.succeeded).map { ($0.trainCells ?? 0) + ($0.testCells ?? 0) }.reduce(0, +)
        let rows: Int = manifest.rows.values.reduce(0, +)
        #expect(rows == cells)
        for shard in manifest.shards.values.joined() {
            let path = options.outputDirectory + "/" + shard.path
            #expect(try ParquetReader(path: path).rowCount == shard.rows)
            #expect(Checksum.sha256(try Data(contentsOf: URL(fileURLWithPath: path))) == shard.sha256)
        }
        let perDataset = try JSONDecoder().decode(CorpusManifest.self, from: Data(contentsOf: URL(fileURLWithPath: options.outputDirectory + "/a/manifest.json")))
        #expect(perDataset.dataset == "a" && perDataset.vocabulary_sha256 == manifest.vocabulary_sha256)
        let inOrder = { (m: CorpusManifest) in ["train", "test"].flatMap { m.shards[$0] ?? [] }.map(\.path) }
        #expect(inOrder(perDataset).map { "a/" + $0 } == inOrder(manifest).filter { $0.hasPrefix("a/") })
    }

    /// report.json's QC histograms count every cell once, kept and filtered apart; the kept
    /// cells' bins are those of the corpus's own `n_counts`, `n_genes` and `pct_mito` columns; and
    /// the cells a `min_genes` filter dropped all sit in bins below its threshold.
    @Test func theQCHistogramsHoldEveryCellWhereTheCorpusPutsIt() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try Self.makeDataset(input, cells: 200, seed: 4)
        var options = Self.options(scratch.path)
        options.convert.filter.minGenes = 12
        let outcomes = PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()
        #expect(outcomes.allSatisfy { $0.succeeded })
        let report = try JSONDecoder().decode(PreprocessReport.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.file("output/data/report.json"))))
        let histograms = try #require(report.convert.histograms)
        #expect(report.convert.droppedCells > 0 && report.convert.keptCells > 0, "the filter should drop some cells and keep others")

        var counts: [Double] = [], genes: [Double] = [], mito: [Double] = []
        for (relative, _) in Self.files(scratch.file("output/data")) where relative.hasSuffix(".parquet") {
            let table = try ParquetReader(path: scratch.file("output/data/" + relative)).readAll(columns: ["n_counts", "n_genes", "pct_mito"])
            if case .double(let values) = table.columns[0].values { counts += values }
            if case .int32(let values) = table.columns[1].values { genes += values.map(Double.init) }
            if case .double(let values) = table.columns[2].values { mito += values }
        }
        #expect(counts.count == report.convert.keptCells && genes.count == counts.count && mito.count == counts.count)
        for (histogram, values) in [(histograms.countsPerCell, counts), (histograms.genesPerCell, genes), (histograms.percentMito, mito)] {
            #expect(histogram.kept.reduce(0, +) + histogram.filtered.reduce(0, +) == report.convert.cells)
            #expect(histogram.kept.count == histogram.filtered.count && histogram.kept.count <= QCHistograms.bins)
            var expected = [Int](repeating: 0, count: histogram.kept.count)
            for value in values { expected[min(expected.count - 1, Int(value / histogram.binWidth))] += 1 }
            #expect(histogram.kept == expected)
        }
        let width = histograms.genesPerCell.binWidth
        for (bin, cells) in histograms.genesPerCell.filtered.enumerated() where cells > 0 {
            #expect(Double(bin) * width < 12, "\(cells) filtered cells with \(Double(bin) * width) or more genes")
        }
    }

    /// The widths are round and the bins reach past the largest value.
    @Test(arguments: [(0.0, 1.0), (39.0, 1.0), (40.0, 2.0), (99.5, 5.0), (3_999.0, 100.0), (4_000.0, 200.0), (0.37, 0.01)])
    func histogramBinsAreRound(largest: Double, width: Double) {
        let histogram = QCHistograms.Histogram(values: [0, largest], kept: [true, false])
        #expect(abs(histogram.binWidth - width) < 1e-12, "\(largest): \(histogram.binWidth)")
        #expect(histogram.kept.reduce(0, +) == 1 && histogram.filtered.reduce(0, +) == 1)
        #expect(Double(histogram.kept.count) * histogram.binWidth > largest)
    }

    /// Run 1 reads the input on every pass instead of spilling its decoded counts in pass 1;
    /// run 3's spill fills its limit part-way through pass 1 and is dropped.
    @Test("same input and options give byte-identical shards, spilled, not or part-way; the split ignores the chunk size")
    func determinism() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try Self.makeDataset(input, cells: 200, seed: 9)
        var shards: [[String: Data]] = []
        var testCells: [Set<String>] = []
        for (run, chunk) in [(0, 40), (1, 40), (2, 17), (3, 40)] {
            let root = scratch.file("run\(run)")
            var options = Self.options(root, chunk: chunk)
            options.spillCounts = run != 1
            if run == 3 { options.spillLimit = 2_000 }
            let outcomes = PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()
            #expect(outcomes.allSatisfy { $0.succeeded })
            shards.append(Self.files(root + "/output").filter { $0.key.hasSuffix(".parquet") })
            testCells.append(try Self.cellIDs(root + "/output/data/test"))
        }
        #expect(!shards[0].isEmpty)
        #expect(shards[0] == shards[1], "two runs with the same options differ")
        #expect(shards[0] == shards[3], "a spill dropped part-way changed the shards")
        let log = try String(contentsOfFile: scratch.file("run3/logs/data/pipeline.jsonl"), encoding: .utf8)
        let dropped = log.split(separator: "\n").compactMap { line -> Int? in
            let record = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return record?["spill_dropped_after_cells"] as? Int
        }
        #expect(dropped.count == 1 && dropped[0] > 0 && dropped[0] < 200, "spill dropped after \(dropped) cells")
        #expect(testCells[0] == testCells[2], "the split moved when --chunk-size changed")
        #expect(testCells[0].count > 20 && testCells[0].count < 80, "about a quarter of 200 cells: \(testCells[0].count)")
    }

    /// run-all hands token chunks straight to cleaning and the split; the steps one by one go
    /// through interim files. Both must give the same bytes, with filtered cells, an empty
    /// column, ages and a split by donor — and with `--keep-interim` the same interim chunks.
    @Test("run-all writes the shards and interim chunks that the steps one by one write")
    func fusedEqualsStepByStep() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try Self.makeDataset(input, cells: 150, seed: 5)
        func options(_ root: String) -> PreprocessOptions {
            var options = Self.options(scratch.file(root))
            options.splitBy = "donor_id"
            options.testSize = 0.4
            options.keepInterim = true
            options.convert.filter.minGenes = 12
            // A shard per chunk, so that many are compared.
            options.convert.shardBytes = 1
            return options
        }
        let datasets = PreprocessDataset.datasets([input])
        let fused = PreprocessRun(datasets: datasets, options: options("fused")).run()
        #expect(fused.allSatisfy { $0.succeeded }, "\(fused)")
        for step in PreprocessRun.Step.allCases {
            let outcomes = PreprocessRun(datasets: datasets, options: options("steps")).run([step])
            #expect(outcomes.allSatisfy { $0.succeeded }, "\(step): \(outcomes)")
        }
        let shards = Self.files(scratch.file("fused/output")).filter { $0.key.hasSuffix(".parquet") }
        #expect(shards.count >= 4)
        #expect(shards == Self.files(scratch.file("steps/output")).filter { $0.key.hasSuffix(".parquet") })
        let chunks = Self.files(scratch.file("fused/interim/data/chunks"))
        #expect(!chunks.isEmpty)
        #expect(chunks == Self.files(scratch.file("steps/interim/data/chunks")))
        let kept = (fused.first?.trainCells ?? 0) + (fused.first?.testCells ?? 0)
        #expect(kept > 50 && kept < 150, "some cells are filtered, most kept: \(kept)")
        // The vocabulary is encoded once a run: its checksum must still be that of vocab.json.
        for root in ["fused", "steps"] {
            let vocabulary = try #require(FileManager.default.contents(atPath: scratch.file("\(root)/output/vocab.json")))
            let report = try JSONDecoder().decode(PreprocessReport.self, from: Data(contentsOf: URL(fileURLWithPath: scratch.file("\(root)/output/data/report.json"))))
            #expect(report.vocabularySHA256 == Checksum.sha256(vocabulary), "\(root)")
        }
    }

    @Test("split by donor keeps each donor in one split; age and cleaning apply")
    func splitByDonorAndAge() throws {
        let scratch = try TemporaryDirectory()
        let input = scratch.file("data.h5ad")
        try Self.makeDataset(input, cells: 120, seed: 3)
        var options = Self.options(scratch.path)
        options.splitBy = "donor_id"
        options.testSize = 0.5
        let outcomes = PreprocessRun(datasets: PreprocessDataset.datasets([input]), options: options).run()
        #expect(outcomes.allSatisfy { $0.succeeded }, "\(outcomes)")
        var donorsBySplit: [String: Set<String>] = [:]
        for split in ["train", "test"] {
            let folder = options.outputDirectory + "/data/\(split)/chunks"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                let reader = try ParquetReader(path: folder + "/" + name)
                let names = reader.schema.columns.map(\.name)
                #expect(names.contains("age"))
                #expect(!names.contains("empty_note"), "an all-empty column is dropped")
                let table = try reader.readAll(columns: ["donor_id", "development_stage", "age"])
                guard case .string(let donors) = table.columns[0].values, case .string(let stages) = table.columns[1].values,
                    case .double(let ages) = table.columns[2].values
                else { continue }
                donorsBySplit[split, default: []].formUnion(donors.strings)
                for row in 0..<table.rowCount {
                    let expected = DevelopmentStage.ageInYears(stages[row])
                    #expect(table.columns[2].isNull(row) == (expected == nil))
                    if let expected { #expect(ages[row] == expected) }
                }
            }
        }
        #expect(donorsBySplit["train"].map { !$0.isEmpty } == true)
        #expect(donorsBySplit["train"]!.isDisjoint(with: donorsBySplit["test"] ?? []))
    }
}
