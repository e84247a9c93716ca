import Dispatch
import Foundation
import SluiceFormats
import Synchronization

/// Writes a runner's trace (``TaskTrace`` rows, `logs/trace.tsv`) — and, when asked, its
/// metrics as a Prometheus textfile every few seconds — on a thread of its own, fed through a
/// bounded queue: recording an attempt never waits — when the writer falls behind (a slow or
/// blocked disk), rows past the queue's capacity are dropped and counted — and a writer that
/// never returns holds up neither the run nor its end. Monitoring must never be able to stop or
/// slow a run.
public final class RunMonitor: Sendable {
    /// The trace file.
    public let path: String
    /// Rows the queue holds at most before it drops.
    public let capacity: Int
    /// The runner's metrics: attempts are counted as they are recorded.
    public let metrics = RunMetrics()
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)

    private struct State {
        var rows: [TaskTrace] = []
        var dropped = 0
        var started = false
        var stopping = false
        var finished = false
        /// Why the file could not be written, once.
        var failure: String?
        /// Where the metrics go as a textfile, if anywhere.
        var metricsFile: String?
        /// Whether something else reads the metrics (a dashboard's `/metrics`).
        var metricsRead = false
    }

    /// A monitor writing to `path` with a queue of `capacity` rows; it writes once started.
    public init(path: String, capacity: Int = 10_000) {
        self.path = path
        self.capacity = capacity
    }

    /// Writes the metrics to `path` (atomically: a temporary file renamed over it) every few
    /// seconds and at the end, for node_exporter's textfile collector.
    public func writeMetrics(to path: String) { state.withLock { $0.metricsFile = path } }

    /// Keeps the metrics' gauges fresh for a reader other than the textfile (a dashboard).
    public func readMetrics() { state.withLock { $0.metricsRead = true } }

    /// Whether anything reads the metrics (the runner then refreshes their gauges).
    public var metricsWanted: Bool { state.withLock { $0.metricsFile != nil || $0.metricsRead } }

    /// Queues one attempt's row; drops it (and counts it) when the queue is full.
    public func record(_ trace: TaskTrace) {
        metrics.note(trace)
        let queued = state.withLock { state in
            guard state.rows.count < capacity, !state.stopping else {
                state.dropped += 1
                return false
            }
            state.rows.append(trace)
            return true
        }
        if queued { wake.signal() }
    }

    /// Rows dropped so far: the queue was full, or the file could not be written.
    public var dropped: Int { state.withLock { $0.dropped } }

    /// Why the trace could not be written, if it could not.
    public var failure: String? { state.withLock { $0.failure } }

    /// Starts the writer's thread (once).
    public func start() {
        guard
            state.withLock({ state in
                defer { state.started = true }
                return !state.started
            })
        else { return }
        let thread = Thread { [self] in write() }
        thread.name = "sluice.trace"
        thread.start()
    }

    /// Asks the writer to write what is queued and end; waits at most `seconds` for it. Returns
    /// whether it ended in time (a writer blocked on its file is left behind).
    @discardableResult
    public func finish(waitingAtMost seconds: Double = 2) async -> Bool {
        let started = state.withLock { state in
            state.stopping = true
            return state.started
        }
        guard started else { return true }
        wake.signal()
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if state.withLock({ $0.finished }) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return false
    }

    /// Seconds between two writes of the metrics file.
    static let metricsInterval = 3.0

    /// Writes the metrics file, if one is asked for; a failure is noted once, never thrown.
    private func writeMetricsFile() {
        guard let path = state.withLock({ $0.metricsFile }) else { return }
        do {
            try AtomicCommit.write(metrics.text(), to: path)
        } catch {
            state.withLock { state in if state.failure == nil { state.failure = "cannot write the metrics file \(path): \(error)" } }
        }
    }

    /// The writer's loop: every second, or when woken, appends what the queue holds.
    private func write() {
        var file: TraceFile?
        var metricsWritten = ContinuousClock.now
        while true {
            _ = wake.wait(timeout: .now() + 1)
            let (rows, stopping) = state.withLock { state in
                defer { state.rows = [] }
                return (state.rows, state.stopping)
            }
            if !rows.isEmpty {
                do {
                    if file == nil { file = try TraceFile(path: path) }
                    try file?.append(rows)
                } catch {
                    state.withLock { state in
                        state.dropped += rows.count
                        if state.failure == nil { state.failure = "\(error)" }
                    }
                }
            }
            if stopping || ContinuousClock.now - metricsWritten >= .seconds(Self.metricsInterval) {
                writeMetricsFile()
                metricsWritten = ContinuousClock.now
            }
            if stopping {
                file?.close()
                state.withLock { $0.finished = true }
                return
            }
        }
    }
}
