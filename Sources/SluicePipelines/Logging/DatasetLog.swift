import Foundation

/// A dataset's log: `pipeline.log` (one readable line per event) and `pipeline.jsonl` (one JSON
/// object per event), appended as the work goes, so a crash leaves everything up to it.
public final class DatasetLog {
    public enum Level: String, Sendable { case info, warning, error }

    public let dataset: String
    private let text: FileHandle?
    private let json: FileHandle?
    /// Also receives every line (the CLI prints them when stdout is not a terminal).
    private let echo: (String) -> Void
    private let clock = ISO8601DateFormatter()

    /// Opens (appending) the log files in `folder`; `nil` writes no files.
    public init(dataset: String, folder: String?, echo: @escaping (String) -> Void = { _ in }) throws {
        self.dataset = dataset
        self.echo = echo
        clock.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let folder {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            text = try Self.appending((folder as NSString).appendingPathComponent("pipeline.log"))
            json = try Self.appending((folder as NSString).appendingPathComponent("pipeline.jsonl"))
        } else {
            text = nil
            json = nil
        }
    }

    deinit {
        try? text?.close()
        try? json?.close()
    }

    private static func appending(_ path: String) throws -> FileHandle {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        return handle
    }

    /// Records one event: `step` (e.g. `convert`), a sentence, and fields for machines.
    public func log(_ level: Level = .info, step: String, _ message: String, _ fields: [String: any Sendable] = [:]) {
        let time = clock.string(from: Date())
        let line = "\(time) \(level.rawValue.uppercased()) [\(dataset)] \(step): \(message)"
        text?.write(Data((line + "\n").utf8))
        var object: [String: Any] = ["time": time, "level": level.rawValue, "dataset": dataset, "step": step, "message": message]
        for (key, value) in fields { object[key] = value }
        if let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
            json?.write(data + Data("\n".utf8))
        }
        echo(line)
    }
}
