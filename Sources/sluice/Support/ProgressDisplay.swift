import Foundation
import SluiceEngine
import Synchronization

/// Progress for long work: a live line (rate and ETA) on a terminal, plain log lines otherwise.
final class ProgressDisplay: Sendable {
    private struct State {
        var lastDraw = ContinuousClock.now - .seconds(1)
        var phaseStart = ContinuousClock.now
        var phaseKey = ""
        var lineVisible = false
    }

    private let isTerminal = isatty(STDOUT_FILENO) == 1
    private let state = Mutex(State())

    /// A log line: printed as is (above the live line on a terminal).
    func line(_ text: String, toStandardError: Bool = false) {
        state.withLock { state in
            Self.clear(&state)
            if toStandardError {
                FileHandle.standardError.write(Data((text + "\n").utf8))
            } else {
                Self.write(text + "\n")
            }
        }
    }

    /// Cells (or, with `bytes`, bytes) done of total in `step` of `dataset`.
    func update(dataset: String, step: String, done: Int, total: Int, bytes: Bool = false) {
        let key = dataset + "/" + step
        let now = ContinuousClock.now
        state.withLock { state in
            if key != state.phaseKey || done < 1 {
                state.phaseKey = key
                state.phaseStart = now
            }
            guard isTerminal, now - state.lastDraw > .milliseconds(100) || done == total else { return }
            state.lastDraw = now
            let seconds = max(1e-3, (now - state.phaseStart) / .seconds(1))
            let rate = Double(done) / seconds
            let eta = rate > 0 ? Double(total - done) / rate : 0
            let fraction = total > 0 ? Double(done) / Double(total) : 1
            let width = 24
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            let text =
                bytes
                ? "\(dataset) \(step) \(bar) \(ByteSize.format(Int64(done)))/\(ByteSize.format(Int64(total)))  \(ByteSize.format(Int64(rate)))/s  ETA \(Int(eta.rounded()))s"
                : String(format: "%@ %@ %@ %d/%d cells  %.0f cells/s  ETA %.0fs", dataset, step, bar, done, total, rate, eta)
            Self.write("\r\u{1B}[2K" + text)
            state.lineVisible = true
        }
    }

    /// Removes the live line.
    func clear() {
        state.withLock { Self.clear(&$0) }
    }

    private static func clear(_ state: inout State) {
        guard state.lineVisible else { return }
        write("\r\u{1B}[2K")
        state.lineVisible = false
    }

    /// Unbuffered, so the live line and log lines appear in order.
    private static func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
