import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// Names from strangers (file names in URLs, manifest and pipeline group columns) never make a
/// path that leaves the workspace, and a run over them never deletes what it did not create.
@Suite struct HostileNameTests {
    @Test(
        "hostile file names sanitize to one plain path component",
        arguments: [
            ("...h5ad", "dataset"),
            ("..", "dataset"),
            (".", "dataset"),
            ("", "dataset"),
            (".hidden.h5ad", "hidden"),
            ("a/../../b", "a_.._.._b"),
            ("/etc/passwd", "etc_passwd"),
            ("a\u{0}b.h5ad", "a_b"),
            ("\u{FF0E}\u{FF0E}", "dataset"),  // fullwidth full stops, which NFKC turns into ".."
            ("\u{2025}", "dataset"),  // two-dot leader, NFKC ".."
            ("caf\u{E9}.h5ad", "caf"),
            (String(repeating: "x", count: 1000), String(repeating: "x", count: DatasetName.maximumLength)),
        ])
    func sanitizedNames(_ input: String, _ expected: String) {
        let name = DatasetName.sanitize(input)
        #expect(name == expected)
        #expect(!name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.contains("\u{0}"))
    }

    @Test("group names become distinct plain components")
    func groupNames() {
        let names = DatasetName.groupNames(["../../outside", "a b", "a_b", "a b", "/", "human"])
        #expect(names == ["../../outside": "outside", "a b": "a_b", "a_b": "a_b_2", "/": "group", "human": "human"])
    }

    @Test(
        "the workspace refuses relative paths that would leave it",
        arguments: [
            "raw/..", "raw/../..", "..", ".", "raw/.", "/etc/passwd", "raw//x", "raw/", "", "raw/a\u{0}b",
            "raw/" + String(repeating: "y", count: 256),
        ])
    func refusesEscapes(_ relative: String) throws {
        let workspace = Workspace(root: "/tmp/sluice-hostile-names")
        #expect(throws: WorkspaceError.self) { try workspace.absolute(relative) }
    }

    @Test("plain relative paths stay inside the workspace")
    func acceptsPlainPaths() throws {
        let workspace = Workspace(root: "/tmp/sluice-hostile-names/")
        #expect(try workspace.absolute("raw/a.b/c") == "/tmp/sluice-hostile-names/raw/a.b/c")
        #expect(try workspace.folder(.output, item: "x") == "/tmp/sluice-hostile-names/output/x")
        #expect(try workspace.logFolder(item: "group:g") == "/tmp/sluice-hostile-names/logs/groups/g")
        #expect(throws: WorkspaceError.self) { try workspace.logFolder(item: "group:..") }
    }

    @Test("a run over hostile item and group names keeps every path inside its workspace")
    func runStaysInside() async throws {
        let harness = try await PipelineHarness.start(files: ["...h5ad": Data("dots\n".utf8), "good.txt": Data("good\n".utf8)], registry: .tests)
        // Things the run did not create, beside and above the workspace.
        try FileManager.default.createDirectory(atPath: harness.folder.file("outside"), withIntermediateDirectories: true)
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: harness.folder.file("outside/keep.txt")))
        try Data("keep\n".utf8).write(to: URL(fileURLWithPath: harness.folder.file("sentinel.txt")))
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - {url: "\(harness.server.url("...h5ad"))", group: "../../outside"}
              - {url: "\(harness.server.url("good.txt"))", group: "../../outside"}
            stages:
              - fetch: {}
              - copy: {name: copy}
              - copy: {name: merge, per: group}
              - cleanup: {keep: [output]}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        #expect(summary.done == 2, "\(summary.items)")
        #expect(Set(summary.items.map(\.item)) == ["dataset", "good.txt"])
        let merged = try String(contentsOfFile: harness.folder.file("work/output/groups/outside/merge/copy.txt"), encoding: .utf8)
        #expect(merged == "dots\ngood\n")
        #expect(try String(contentsOfFile: harness.folder.file("work/output/dataset/copy/copy.txt"), encoding: .utf8) == "dots\n")
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("outside/keep.txt")))
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("sentinel.txt")))
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("work/sluice.db")))
        try await harness.stop()
    }

    @Test("a stage name that is not a plain file name is a config error naming the line")
    func stageNames() throws {
        let folder = try TemporaryDirectory("sluice-hostile-stage")
        let path = folder.file("p.yaml")
        try """
        workspace: ./work
        budget: {total: 10MB}
        items:
          - {url: "http://127.0.0.1:1/a"}
        stages:
          - fetch: {}
          - copy: {name: "../x"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: ConfigError.self) { try PipelineConfig.load(path, registry: .tests) }
        #expect(error?.code == .badValue)
        #expect(error?.line == 7)
        #expect(error?.description.contains("'../x'") == true)
    }
}
