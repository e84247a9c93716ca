import Foundation
import SluiceEngine

/// The last lines of what an item's programs printed: from its own log folder while it is in
/// flight (or failed), else from the run's logs, where a finished item's lines sit under a
/// `── item ──` heading (``Workspace/foldLogs(item:)``).
enum ItemLog {
    /// Bytes read from the end of each folded log file at most.
    static let window = 4 << 20

    /// Up to `count` last lines, each file's under a `==> file <==` line.
    static func tail(item: String, in workspace: Workspace, count: Int) throws -> [String] {
        let folder = try workspace.logFolder(item: item)
        if let names = try? FileManager.default.contentsOfDirectory(atPath: folder) {
            return names.sorted().flatMap { name -> [String] in
                let lines = lastLines(of: folder + "/" + name)
                return lines.isEmpty ? [] : ["==> \(name) <=="] + lines.suffix(count)
            }
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: workspace.logsFolder)) ?? []
        return names.filter { $0.hasSuffix(".log") }.sorted().flatMap { name -> [String] in
            let lines = section(of: item, in: lastLines(of: workspace.logsFolder + "/" + name))
            return lines.isEmpty ? [] : ["==> \(name) <=="] + lines.suffix(count)
        }
    }

    /// The lines of the file's last ``window`` bytes (the first, possibly cut, dropped).
    private static func lastLines(of path: String) -> [String] {
        guard let handle = FileHandle(forReadingAtPath: path) else { return [] }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        let start = end > UInt64(window) ? end - UInt64(window) : 0
        try? handle.seek(toOffset: start)
        let text = String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if start > 0, !lines.isEmpty { lines.removeFirst() }
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The lines under `item`'s headings in a folded log (headings of other items end a section).
    private static func section(of item: String, in lines: [String]) -> [String] {
        let heading = "── \(item) ──"
        var inside = false
        var kept: [String] = []
        for line in lines {
            if line.hasPrefix("── "), line.hasSuffix(" ──") {
                inside = line == heading
            } else if inside {
                kept.append(line)
            }
        }
        return kept
    }
}
