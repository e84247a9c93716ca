import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

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
        #expect(preprocess.options.topGenes == 2000)
        let quant = try #require(config.stages[2] as? CommandStage)
        #expect(quant.options.timeout == 7200)
        #expect(quant.scheduling == .batch(count: 3, enough: 1_000_000))
        #expect(config.stages[3].scheduling == .perGroup)
        #expect(config.stages[4].scheduling == .barrier)
        #expect(config.stages[4].header.from == "quant")
        #expect((config.stages[5] as? AnalyzeStage)?.options.analysis == .correlate)
        #expect((config.stages[6] as? CleanupStage)?.keep == [.output])
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
