import Foundation
import SluiceEngine
import SluiceTestSupport
import Testing

@testable import SluicePipelines

/// The options of the preprocess, command and analyze kinds: parsed by their own stages, with
/// errors that name the pipeline file and line.
@Suite struct StageOptionsTests {
    private func load(_ stages: String) throws -> PipelineConfig {
        let folder = try TemporaryDirectory("sluice-stage-options")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: folder.file("in/a.h5ad")))
        let yaml = """
            workspace: ./work
            budget: {total: 2GB}
            items:
              - directory: in
            stages:
              - fetch: {concurrency: 2}
            \(stages)
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        return try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry())
    }

    @Test func eachKindParsesItsOwnOptions() throws {
        let config = try load(
            """
              - preprocess: {chunk_size: 500}
              - command: {name: quant, argv: [echo, "{in}", "{out}"], outputs: [a.txt], timeout: 2h, batch: 3, batch_bytes: 1MB}
              - command: {name: merge, argv: [echo, "{outs}"], per: group}
              - command: {name: all, argv: [echo, "{outs}"], per: all, from: quant}
              - analyze: {run: correlate}
              - cleanup:
            """)
        #expect(config.stages.map(\.name) == ["fetch", "preprocess", "quant", "merge", "all", "correlate", "cleanup"])
        let preprocess = try #require(config.stages[1] as? PreprocessStage)
        #expect(preprocess.options.chunkSize == 500)
        #expect(preprocess.options.topGenes == nil && preprocess.options.preset == nil)
        let quant = try #require(config.stages[2] as? CommandStage)
        #expect(quant.options.timeout == 7200)
        #expect(quant.scheduling == .batch(count: 3, enough: 1_000_000))
        #expect(config.stages[3].scheduling == .perGroup)
        #expect(config.stages[4].scheduling == .barrier)
        #expect(config.stages[4].header.from == "quant")
        #expect((config.stages[5] as? AnalyzeStage)?.options.analysis == .correlate)
        #expect((config.stages[6] as? CleanupStage)?.keep == [.output])
    }

    /// A corpus stage takes a model family's preset and the dictionaries every item shares, and
    /// hands them to the builder; settings that contradict each other are one sentence.
    @Test func preprocessTakesAPresetAndDictionaries() throws {
        let config = try load("  - preprocess: {preset: geneformer-95m, vocabulary: in/a.h5ad, medians: in/a.h5ad, gene_id_column: ensembl_id}")
        let stage = try #require(config.stages[1] as? PreprocessStage)
        #expect(stage.options.preset == .geneformer95m && stage.options.geneIDColumn == "ensembl_id")
        let argv = stage.command(
            file: "x.h5ad", item: "x", workspace: Workspace(root: NSTemporaryDirectory() + "/sluice-argv"), scratch: ("s", 1), spill: nil, checkpoints: nil, vocabulary: stage.options.vocabulary,
            medians: stage.options.medians
        ).options.argv
        let joined = argv.joined(separator: " ")
        #expect(joined.contains("--preset geneformer-95m") && joined.contains("--gene-id-column ensembl_id") && !joined.contains("--top-genes"))
        #expect(joined.contains("--vocabulary /") && joined.contains("--medians /"))
        let cases = [
            ("{preset: geneformer-7b}", "must be one of geneformer-30m, geneformer-95m"),
            ("{preset: geneformer-30m, top_genes: 100}", "leave out top_genes"),
            ("{vocabulary: in/missing.json}", "the token dictionary"),
            ("{hgnc: in/a.h5ad, vocabulary: in/a.h5ad}", "give hgnc or vocabulary, not both"),
            ("{medians: in/a.h5ad, medians_from: m}", "it goes with medians: corpus"),
        ]
        for (options, expected) in cases {
            let error = try #require(throws: ConfigError.self) { try load("  - preprocess: \(options)") }
            #expect(error.description.contains(expected), "\(error.description)")
        }
        let corpus = try #require(try load("  - preprocess: {medians: corpus}").stages[1] as? PreprocessStage)
        #expect(corpus.options.corpusMedians == "medians" && corpus.options.medians == nil)
        let named = try #require(try load("  - preprocess: {medians: corpus, medians_from: merged}").stages[1] as? PreprocessStage)
        #expect(named.options.corpusMedians == "merged")
    }

    /// A `digest` stage digests and merges batches of items, or with `per: all` / `per: group`
    /// reads the medians, and refuses the per-item options there.
    @Test func digestStagesDigestOrMerge() throws {
        let config = try load("  - digest: {gene_id_column: ensembl_id, min_genes: 5}\n  - digest: {name: medians, per: all}")
        let digest = try #require(config.stages[1] as? DigestStage)
        #expect(digest.scheduling == .batch(count: 4, enough: nil, maxWait: 5) && digest.arguments == ["--gene-id-column", "ensembl_id", "--min-genes", "5"])
        #expect(config.stages[2].scheduling == .barrier)
        #expect(config.stages[2].outputFolder(item: "all", isGroup: true) == "interim/groups/all/medians")
        let error = try #require(throws: ConfigError.self) { try load("  - digest: {per: group, min_genes: 5}") }
        #expect(error.description.contains("is an option of the per-item digest stage"), "\(error.description)")
        let concurrent = try #require(throws: ConfigError.self) { try load("  - digest: {concurrency: 2}") }
        #expect(concurrent.description.contains("set parallel, not concurrency"), "\(concurrent.description)")
    }

    @Test func commandPlaceholdersAreChecked() throws {
        let error = try #require(throws: ConfigError.self) {
            try load("  - command: {name: quant, argv: [echo, \"{in}\", \"{output}\"]}")
        }
        #expect(error.description.contains("unknown placeholder {output}"))
        #expect(error.line == 7)
        let noArgv = try #require(throws: ConfigError.self) { try load("  - command: {name: quant, outputs: [a.txt]}") }
        #expect(noArgv.description.contains("stages[1].command needs 'argv'"))
        let batchedGroup = try #require(throws: ConfigError.self) { try load("  - command: {argv: [echo], per: all, batch: 2}") }
        #expect(batchedGroup.description.contains("'batch' cannot be combined with per: all"))
    }
}

/// The pipelines under examples/ stay valid as the format evolves.
@Suite struct ExamplePipelineTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func corpusExampleLoads() throws {
        let config = try PipelineConfig.load(Self.root + "/examples/corpus/pipeline.yaml", registry: PipelineStages.registry())
        #expect(config.stages.map(\.header.kind) == ["fetch", "preprocess", "cleanup"])
        #expect(config.budget.total == 200_000_000_000)
        #expect(config.items.first?.size == 2_000_000_000)
    }
}
