import Foundation
import SluiceEngine
import Synchronization

/// Live progress of `sluice run`: on a terminal, one line per stage (counts, throughput, ETA)
/// and a disk gauge per area, redrawn twice a second under the log lines; otherwise plain
/// timestamped log lines only.
final class RunDisplay: Sendable {
    private let enabled: Bool
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    /// Lines of the live block currently on screen.
    private let drawn = Mutex(0)

    init(enabled: Bool) { self.enabled = enabled }

    /// A log line: above the live block on a terminal, with a timestamp otherwise.
    func line(_ text: String) {
        guard enabled else { return }
        drawn.withLock { drawn in
            if isTerminal {
                Self.write(Self.erase(drawn) + text + "\n")
                drawn = 0
            } else {
                let time = Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: false))
                Self.write("\(time) \(text)\n")
            }
        }
    }

    /// Redraws the live block until cancelled.
    func follow(_ runner: PipelineRunner) async {
        guard enabled, isTerminal else { return }
        while !Task.isCancelled {
            if let stages = try? await runner.progress() {
                let budget = await runner.budget.snapshot
                let block = Self.block(stages, budget)
                drawn.withLock { drawn in
                    Self.write(Self.erase(drawn) + block.joined(separator: "\n") + "\n")
                    drawn = block.count
                }
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// Removes the live block.
    func finish() {
        guard enabled, isTerminal else { return }
        drawn.withLock { drawn in
            Self.write(Self.erase(drawn))
            drawn = 0
        }
    }

    static func block(_ stages: [StageProgress], _ budget: BudgetSnapshot) -> [String] {
        let width = max(8, stages.map(\.name.count).max() ?? 8)
        var lines = stages.map { stage -> String in
            let name = stage.name.padding(toLength: width, withPad: " ", startingAt: 0)
            var text = "\(name) \(bar(Double(stage.done), Double(max(stage.total, 1)))) \(stage.done)/\(stage.total) done"
            if stage.running > 0 { text += ", \(stage.running) running" }
            if stage.failed > 0 { text += ", \(stage.failed) failed" }
            if stage.rate > 0 { text += String(format: ", %.2f items/s", stage.rate) }
            if stage.activeExpected > 0 { text += ", \(ByteSize.format(stage.activeBytes))/\(ByteSize.format(stage.activeExpected))" }
            if let eta = stage.eta { text += ", ETA \(DurationText.format(eta))" }
            return text
        }
        var disk = "disk".padding(toLength: width, withPad: " ", startingAt: 0) + " \(bar(Double(budget.totalHeld), Double(budget.limits.total))) "
        disk += "\(ByteSize.format(budget.totalHeld)) of \(ByteSize.format(budget.limits.total))"
        let areas = Area.allCases.filter { budget.held($0) > 0 || budget.limits.areas[$0] != nil }.map { area -> String in
            let limit = budget.limits.areas[area].map { "/\(ByteSize.format($0))" } ?? ""
            return "\(area.rawValue) \(ByteSize.format(budget.held(area)))\(limit)"
        }
        if !areas.isEmpty { disk += "  (" + areas.joined(separator: ", ") + ")" }
        if budget.filesystemPaused { disk += "  fetching paused: filesystem above \(Int(budget.limits.filesystemHigh * 100))%" }
        lines.append(disk)
        return lines
    }

    private static func bar(_ done: Double, _ total: Double) -> String {
        let width = 20
        let filled = min(width, max(0, Int(done / total * Double(width))))
        return String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
    }

    private static func erase(_ lines: Int) -> String {
        String(repeating: "\u{1B}[1A\u{1B}[2K", count: lines) + "\r"
    }

    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
