import Foundation

/// One row of `sluice status`'s workers: who ran, where, when it was last heard of, and how many
/// tasks it holds.
public struct WorkerStatus: Sendable, Hashable, Codable {
    /// The worker.
    public var worker: WorkerRecord
    /// Seconds since 1970 of its first heartbeat.
    public var started: Double
    /// Seconds since 1970 of its last heartbeat.
    public var heartbeat: Double
    /// Seconds since 1970 when it stopped on its own; nil while it runs or after it died.
    public var stopped: Double?
    /// Tasks it runs now (under an unexpired lease or not).
    public var running: Int

    /// Whether the worker seems alive at `now`: not stopped, heard of within `window` seconds, and
    /// — when it runs on `host`, this process's host — with its process still there.
    public func seemsAlive(now: Double, within window: Double, host: String) -> Bool {
        stopped == nil && now - heartbeat < window && (worker.host != host || kill(pid_t(worker.pid), 0) == 0)
    }

    /// A worker's row.
    public init(worker: WorkerRecord, started: Double, heartbeat: Double, stopped: Double?, running: Int) {
        self.worker = worker
        self.started = started
        self.heartbeat = heartbeat
        self.stopped = stopped
        self.running = running
    }
}
