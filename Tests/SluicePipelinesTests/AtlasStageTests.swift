import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

/// The atlas studies as pipeline stages: per item (`composition`, `specificity`) and, once every
/// item is done, `cross-atlas` over all of them as a barrier stage; `validate` reads two earlier
/// stages' outputs of its item through `{in}` and `{out:STAGE}`.
@Suite struct AtlasStageTests {
    @Test func atlasStudiesRunPerItemAndAcrossItems() async throws {
        let folder = try TemporaryDirectory("sluice-atlas-stages")
        let fixtures = Fixtures.directory + "/cell_activity"
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for name in ["healthy", "inflamed", "tumour"] {
            try FileManager.default.copyItem(atPath: fixtures + "/cells.h5ad", toPath: folder.file("in/\(name).h5ad"))
        }
        let sluice = try SluiceBinary.path()
        let yaml = """
            workspace: ./work
            budget: {total: 40MB}
            items:
              - directory: in
                glob: "*.h5ad"
            stages:
              - fetch: {}
              - analyze:
                  run: composition
                  executable: \(sluice)
                  delete_inputs: false
                  options: {sample: cell_type}
              - analyze:
                  from: fetch
                  run: pseudobulk
                  executable: \(sluice)
                  options: {by: cell_type, min_cells: 1, min_counts: 0}
              - analyze:
                  run: activity
                  executable: \(sluice)
                  input: pseudobulk.h5ad
                  delete_inputs: false
                  options: {signature: \(fixtures)/cytosig_overlap.tsv, lambda: 1e4, n_rand: 0, group_signatures: "no"}
              - analyze:
                  name: organs
                  run: specificity
                  executable: \(sluice)
                  delete_inputs: false
                  input: zscore.tsv
              - analyze:
                  from: activity
                  run: validate
                  executable: \(sluice)
                  delete_inputs: false
                  options:
                    celltype_activity: "{in}/zscore.tsv"
                    celltype_expression: "{out:pseudobulk}/pseudobulk_mean.h5ad"
                    signature: \(fixtures)/cytosig_overlap.tsv
                    lambda: 1e4
              - analyze:
                  name: atlases
                  from: activity
                  run: cross-atlas
                  executable: \(sluice)
                  options: {top_k: 5, format: json}
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let session = try await PipelineSession(config: try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry()))
        let summary = try await session.run()
        #expect(summary.items.allSatisfy { $0.state == .done }, "\(summary.items.map { "\($0.item): \($0.state) \($0.reason ?? "")" })")
        for item in ["healthy", "inflamed", "tumour"] {
            #expect(FileManager.default.fileExists(atPath: folder.file("work/output/\(item)/composition/samples.tsv")), "\(item)")
            #expect(FileManager.default.fileExists(atPath: folder.file("work/output/\(item)/organs/specificity.tsv")), "\(item)")
            // validate read the activity stage's output ({in}) and the pseudobulk behind it ({out:pseudobulk}).
            let celltype = try String(contentsOfFile: folder.file("work/output/\(item)/validate/celltype.tsv"), encoding: .utf8)
            #expect(celltype.split(separator: "\n").count > 1, "\(item)")
            #expect(FileManager.default.fileExists(atPath: folder.file("work/output/\(item)/validate/quality.tsv")), "\(item)")
        }
        // One cross-atlas study over the three atlases, each named after its item.
        let everything = try FileManager.default.subpathsOfDirectory(atPath: folder.file("work/output"))
        #expect(everything.filter { $0.hasSuffix("cross_atlas.json") } == ["all/atlases/cross_atlas.json"], "\(everything)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/all/atlases/cross_atlas.json")))) as! [String: Any]
        let mapping = (json["tables"] as! [String: Any])["mapping"] as! [[String: Any]]
        #expect(Set(mapping.map { $0["atlas"] as! String }) == ["healthy", "inflamed", "tumour"])
        let meta = (json["tables"] as! [String: Any])["meta"] as! [[String: Any]]
        // Three identical atlases: every meta-analysis has all three, and no heterogeneity.
        #expect(!meta.isEmpty && meta.allSatisfy { $0["atlases"] as? Int == 3 && $0["i2"] as? Double == 0 })
    }

    /// `{out:STAGE}` names a stage of the input chain; a folder its reader deleted is named in
    /// the failure instead of a missing-file error of the program.
    @Test func earlierOutputsResolveOrSayWhyNot() async throws {
        let folder = try TemporaryDirectory("sluice-earlier-output")
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try "x".write(toFile: folder.file("in/one.txt"), atomically: true, encoding: .utf8)
        // first (interim) → second (deletes its inputs: first's output) → third reads {out:first}.
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - directory: in
                glob: "*.txt"
            stages:
              - fetch: {}
              - command: {name: first, area: interim, argv: [sh, -c, 'echo 1 > "$0/a.txt"', "{out}"], outputs: [a.txt]}
              - command: {name: second, area: interim, delete_inputs: true, argv: [sh, -c, 'echo 2 > "$0/b.txt"', "{out}"], outputs: [b.txt]}
              - command: {name: third, delete_inputs: false, argv: [sh, -c, 'cat "$1/a.txt" > "$0/c.txt"', "{out}", "{out:first}"], outputs: [c.txt]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        let session = try await PipelineSession(config: try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry()))
        let summary = try await session.run()
        let item = try #require(summary.items.first)
        #expect(item.state != .done)
        #expect(item.reason?.contains("{out:first}: the output of first for one.txt is gone") == true, "\(item.reason ?? "")")
    }

    /// The table studies as per-item stages: programs and drivers on a differential table,
    /// trends on an activity table with its samples' metadata named by an option.
    @Test func tableStudiesRunAsStages() async throws {
        let folder = try TemporaryDirectory("sluice-table-studies")
        for (name, source) in [("programs", "celltypes.tsv"), ("trends", "activity.tsv")] {
            try FileManager.default.createDirectory(atPath: folder.file("\(name)/in"), withIntermediateDirectories: true)
            let fixture = Fixtures.directory + (name == "programs" ? "/programs/" : "/trends/") + source
            try FileManager.default.copyItem(atPath: fixture, toPath: folder.file("\(name)/in/one.tsv"))
        }
        let sluice = try SluiceBinary.path()
        let pipelines = [
            "programs": """
            workspace: ./work
            budget: {total: 10MB}
            items: [{directory: in, glob: "*.tsv"}]
            stages:
              - fetch: {}
              - analyze: {run: programs, executable: \(sluice), delete_inputs: false}
              - analyze: {from: fetch, run: drivers, executable: \(sluice), options: {cell_type_column: cell_type}}
            """,
            "trends": """
            workspace: ./work
            budget: {total: 10MB}
            items: [{directory: in, glob: "*.tsv"}]
            stages:
              - fetch: {}
              - analyze:
                  run: trends
                  executable: \(sluice)
                  options: {samples: \(Fixtures.directory)/trends/samples.tsv, time: day, donor: donor, stratify: cell_type}
            """,
        ]
        for (name, yaml) in pipelines {
            try yaml.write(toFile: folder.file("\(name)/p.yaml"), atomically: true, encoding: .utf8)
            let session = try await PipelineSession(config: try PipelineConfig.load(folder.file("\(name)/p.yaml"), registry: PipelineStages.registry()))
            let summary = try await session.run()
            #expect(summary.items.allSatisfy { $0.state == .done }, "\(summary.items.map { "\($0.item): \($0.state) \($0.reason ?? "")" })")
        }
        let output = { (path: String) in FileManager.default.fileExists(atPath: folder.file(path)) }
        #expect(output("programs/work/output/one.tsv/programs/programs.tsv") && output("programs/work/output/one.tsv/drivers/drivers.tsv"))
        #expect(output("trends/work/output/one.tsv/trends/trends.tsv"))
    }
}
