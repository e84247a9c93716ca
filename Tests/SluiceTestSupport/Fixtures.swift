import Foundation
import SluiceEngine

/// The committed test fixtures (made by `scripts/fixtures/make_fixtures.py`) and their expected values.
public enum Fixtures {
    /// `Tests/Fixtures`, found relative to this source file so tests run from any folder.
    public static let directory: String = {
        let here = URL(fileURLWithPath: #filePath)
        return here.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures").path
    }()

    /// The full path of fixture `name`.
    /// Writes a token dictionary for ``SluiceFormats/SyntheticCounts``' first `genes` gene ids
    /// (Geneformer's special tokens, then the genes in order) to `path`; returns `path`.
    ///
    /// Runs compared byte for byte with another run use it: the ids of a run's own vocabulary
    /// depend on the order its items reach the corpus builder.
    @discardableResult
    public static func syntheticTokenDictionary(genes: Int, at path: String) throws -> String {
        var tokens: [String: Int] = ["<pad>": 0, "<mask>": 1, "<cls>": 2, "<eos>": 3]
        for gene in 0..<genes { tokens[String(format: "ENSG%011d", gene + 1)] = 4 + gene }
        try JSONEncoder().encode(tokens).write(to: URL(fileURLWithPath: path))
        return path
    }

    public static func path(_ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    /// A fresh folder holding fixture `name` as `in/a.h5ad`, and `p.yaml`: a pipeline over
    /// `in/` with `stages` after a fetch, working in `work/` under a budget with `interim` bytes
    /// for the `interim` area.
    public static func pipelineFolder(_ name: String, interim: Int64, stages: String, label: String) throws -> TemporaryDirectory {
        let folder = try TemporaryDirectory(label)
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: path(name), toPath: folder.file("in/a.h5ad"))
        let yaml = """
            workspace: ./work
            budget: {total: \(Workspace.overheadSlack + 4_000_000), areas: {interim: \(interim)}}
            items:
              - directory: in
            stages:
              - fetch: {}
            \(stages)
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        return folder
    }

    /// One entry of `manifest.json`.
    public struct Entry: Decodable, Sendable, CustomStringConvertible {
        public var file: String
        public var expected: String?
        public var kind: String
        public var error_code: String?
        public var note: String?
        public var description: String { file + (expected.map { " → \($0)" } ?? "") }
    }

    /// Every fixture listed in the manifest.
    public static let manifest: [Entry] = {
        guard let data = FileManager.default.contents(atPath: path("manifest.json")),
            let entries = try? JSONDecoder().decode([Entry].self, from: data)
        else { return [] }
        return entries
    }()

    /// Good fixtures with expected values.
    public static var good: [Entry] { manifest.filter { $0.kind == "good" && $0.expected != nil } }
    /// Bad fixtures with the error code they must produce.
    public static var bad: [Entry] { manifest.filter { $0.kind == "bad" } }

    /// Loads an expected-values file.
    public static func expected(_ name: String) throws -> ExpectedDataset {
        var data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        if name.hasSuffix(".gz") { data = try gunzip(path(name)) }
        return try JSONDecoder().decode(ExpectedDataset.self, from: data)
    }

    /// The decompressed bytes of a gzip file (large expected files are committed compressed).
    static func gunzip(_ path: String) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-dc", path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileReadCorruptFile) }
        return data
    }
}
