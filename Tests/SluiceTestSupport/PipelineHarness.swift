public import Foundation
public import SluiceEngine
public import SluiceLoopback

/// A folder with files served over loopback HTTP, a place for pipeline files and workspaces,
/// and a way to run a pipeline in this process with the stage kinds a test gives.
public final class PipelineHarness: Sendable {
    public let folder: TemporaryDirectory
    public let server: LoopbackServer
    public let registry: StageRegistry
    public var served: String { folder.file("served") }

    private init(folder: TemporaryDirectory, server: LoopbackServer, registry: StageRegistry) {
        self.folder = folder
        self.server = server
        self.registry = registry
    }

    /// Starts a server over `files` (name → content); pipelines may use the kinds of `registry`.
    public static func start(files: [String: Data], registry: StageRegistry) async throws -> PipelineHarness {
        let folder = try TemporaryDirectory("sluice-engine")
        try FileManager.default.createDirectory(atPath: folder.file("served"), withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: URL(fileURLWithPath: folder.file("served/" + name))) }
        return PipelineHarness(folder: folder, server: try await LoopbackServer.start(root: folder.file("served")), registry: registry)
    }

    public func stop() async throws { try await server.shutdown() }

    /// Writes a pipeline file and returns its path.
    public func pipeline(_ yaml: String, name: String = "pipeline.yaml") throws -> String {
        let path = folder.file(name)
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the pipeline to its end in this process.
    public func run(_ path: String) async throws -> RunSummary {
        let session = try await PipelineSession(config: try load(path))
        return try await session.run()
    }

    /// Loads a pipeline file with this harness's stage kinds.
    public func load(_ path: String) throws -> PipelineConfig { try PipelineConfig.load(path, registry: registry) }

    /// Deterministic bytes of a given size.
    public static func bytes(_ count: Int, seed: UInt8) -> Data {
        var data = Data(count: count)
        for index in 0..<count { data[index] = UInt8(truncatingIfNeeded: index &* 31 &+ Int(seed) &* 7 &+ index >> 9) }
        return data
    }

    /// SHA-256 hex of data.
    public static func sha256(_ data: Data) -> String { Checksum.sha256(data) }
}
