import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A dataset's log: `pipeline.log` (one readable line per event) and `pipeline.jsonl` (one JSON
/// object per event), appended as the work goes, so a crash leaves everything up to it.
/// Several logs may append to the same files (they are opened with `O_APPEND`). The folder and
/// files are made on the first line, so work that has nothing to say leaves no files.
public final class DatasetLog: Sendable {
    /// How much a line matters.
    public enum Level: String, Sendable { case info, warning, error }

    /// The dataset's name, shown in every line.
    public let dataset: String
    private let folder: String?
    /// The open files, once the first line is written (-1: not open, or cannot be opened).
    private let files = Mutex<(text: Int32, json: Int32, opened: Bool)>((-1, -1, false))
    /// Also receives every line (the CLI prints them when stdout is not a terminal).
    private let echo: @Sendable (Level, String) -> Void
    private static let clock = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// A log appending to the files in `folder` from its first line; `nil` writes no files.
    public init(dataset: String, folder: String?, echo: @escaping @Sendable (Level, String) -> Void = { _, _ in }) {
        self.dataset = dataset
        self.echo = echo
        self.folder = folder
    }

    deinit {
        files.withLock { files in
            if files.text >= 0 { close(files.text) }
            if files.json >= 0 { close(files.json) }
        }
    }

    private static func appending(_ path: String) -> Int32 {
        open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    }

    /// Records one event: `step` (e.g. `convert`), a sentence, and fields for machines.
    public func log(_ level: Level = .info, step: String, _ message: String, _ fields: [String: any Sendable] = [:]) {
        let time = Date().formatted(Self.clock)
        let line = "\(time) \(level.rawValue.uppercased()) [\(dataset)] \(step): \(message)"
        var object: [String: Any] = ["time": time, "level": level.rawValue, "dataset": dataset, "step": step, "message": message]
        for (key, value) in fields { object[key] = value }
        let json = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])).map { $0 + Data("\n".utf8) }
        files.withLock { files in
            if !files.opened, let folder {
                files.opened = true
                try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                files.text = Self.appending(folder + "/pipeline.log")
                files.json = Self.appending(folder + "/pipeline.jsonl")
            }
            Self.write(files.text, Data((line + "\n").utf8))
            if let json { Self.write(files.json, json) }
        }
        echo(level, line)
    }

    private static func write(_ fd: Int32, _ data: Data) {
        guard fd >= 0 else { return }
        data.withUnsafeBytes { bytes in _ = Glibc.write(fd, bytes.baseAddress, bytes.count) }
    }
}
