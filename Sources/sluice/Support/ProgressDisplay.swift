import Foundation

/// Progress for long work: a live line (rate and ETA) on a terminal, plain log lines otherwise.
final class ProgressDisplay {
    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private var lastDraw = ContinuousClock.now - .seconds(1)
    private var phaseStart = ContinuousClock.now
    private var phaseKey = ""
    private var lineVisible = false

    /// A log line: printed as is (above the live line on a terminal).
    func line(_ text: String) {
        clear()
        write(text + "\n")
    }

    /// Cells done of total in `step` of `dataset`.
    func update(dataset: String, step: String, done: Int, total: Int) {
        let key = dataset + "/" + step
        let now = ContinuousClock.now
        if key != phaseKey || done < 1 {
            phaseKey = key
            phaseStart = now
        }
        guard isTerminal, now - lastDraw > .milliseconds(100) || done == total else { return }
        lastDraw = now
        let seconds = max(1e-3, (now - phaseStart) / .seconds(1))
        let rate = Double(done) / seconds
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let text = String(format: "%@ %@ %@ %d/%d cells  %.0f cells/s  ETA %.0fs", dataset, step, bar, done, total, rate, eta)
        write("\r\u{1B}[2K" + text)
        lineVisible = true
    }

    /// Removes the live line.
    func clear() {
        guard lineVisible else { return }
        write("\r\u{1B}[2K")
        lineVisible = false
    }

    /// Unbuffered, so the live line and log lines appear in order.
    private func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
