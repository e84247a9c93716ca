import Foundation

/// The run's logs (`logs/<name>.log`) hold a finished item's program output under a line that
/// names it (`── item ──`): this reads one item's part back.
public enum FoldedLog {
    /// The lines of `item`'s sections in the log at `path`; empty when it has none.
    public static func section(_ path: String, item: String) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "" }
        var inside = false
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("── "), line.hasSuffix(" ──") {
                inside = line == "── \(item) ──"
            } else if inside {
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n")
    }
}
