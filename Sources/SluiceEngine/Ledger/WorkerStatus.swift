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

    /// A worker's row.
    public init(worker: WorkerRecord, started: Double, heartbeat: Double, stopped: Double?, running: Int) {
        self.worker = worker
        self.started = started
        self.heartbeat = heartbeat
        self.stopped = stopped
        self.running = running
    }
}
