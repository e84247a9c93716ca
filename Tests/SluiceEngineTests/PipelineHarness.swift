import Foundation
import SluiceEngine
import SluiceLoopback
import SluicePipelines
import SluiceTestSupport
import SluiceFormats

/// A folder with files served over loopback HTTP, a place for pipeline files and workspaces,
/// and a way to run a pipeline in this process.
final class PipelineHarness: Sendable {
    let folder: TemporaryDirectory
    let server: LoopbackServer
    var served: String { folder.file("served") }

    private init(folder: TemporaryDirectory, server: LoopbackServer) {
        self.folder = folder
        self.server = server
    }

    /// Starts a server over `files` (name → content).
    static func start(files: [String: Data]) async throws -> PipelineHarness {
        let folder = try TemporaryDirectory("sluice-engine")
        try FileManager.default.createDirectory(atPath: folder.file("served"), withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: folder.file("served/" + name))) }
        return PipelineHarness(folder: folder, server: try await LoopbackServer.start(root: folder.file("served")))
    }

    func stop() async throws { try await server.shutdown() }

    /// Writes a pipeline file and returns its path.
    func pipeline(_ yaml: String, name: String = "pipeline.yaml") throws -> String {
        let path = folder.file(name)
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the pipeline to its end in this process.
    func run(_ path: String) async throws -> RunSummary {
        let session = try PipelineSession(config: try PipelineConfig.load(path))
        return try await session.run()
    }

    /// Deterministic bytes of a given size.
    static func bytes(_ count: Int, seed: UInt8) -> Data {
        var data = Data(count: count)
        for index in 0..<count { data[index] = UInt8(truncatingIfNeeded: index &* 31 &+ Int(seed) &* 7 &+ index >> 9) }
        return data
    }

    /// SHA-256 hex of data, with the formats layer's implementation.
    static func sha256(_ data: Data) -> String { SluiceFormats.SHA256.hex(data) }
}
