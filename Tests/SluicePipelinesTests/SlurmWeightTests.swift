import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

/// A `slurm` stage weighs its items by a manifest column (`batch_weight: <column>`): the number in
/// the item's column, with a sentence naming the item when it has none or it is no number.
struct SlurmWeightTests {
    @Test func aManifestColumnWeighsEachItem() async throws {
        let folder = try TemporaryDirectory("sluice-slurm-weight")
        let manifest = "name\turl\tframes\na\thttp://h/a.tif\t120\nb\thttp://h/b.tif\t\nc\thttp://h/c.tif\tmany\n"
        try manifest.write(toFile: folder.file("m.tsv"), atomically: true, encoding: .utf8)
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - manifest: m.tsv
            stages:
              - fetch: {}
              - slurm:
                  name: gpu
                  argv: [/bin/true, "{in}", "{out}"]
                  outputs: ["*"]
                  batch_weight: frames
                  batch_min: 1000
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let config = try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry())
        let stage = try #require(config.stage(named: "gpu") as? SlurmStage)
        let items = Dictionary(uniqueKeysWithValues: config.items.map { ($0.name, $0) })
        #expect(try await stage.weight(ofInput: folder.path, item: try #require(items["a"])) == 120)
        for (name, words) in [("b", "has no value in a manifest column 'frames'"), ("c", "'s frames is 'many', not a number")] {
            let error = try await #require(throws: StageError.self) { try await stage.weight(ofInput: folder.path, item: try #require(items[name])) }
            #expect(error.code == "slurm.weight")
            #expect(error.message.contains(words), "\(error.message)")
        }
    }
}
