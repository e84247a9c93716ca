/// One stage's line in the live display.
public struct StageProgress: Sendable {
    public var name: String
    public var counts: [TaskState: Int]
    /// Units finished by this process, and the seconds since the run started.
    public var finishedThisRun: Int
    public var seconds: Double
    /// Bytes moved by work in flight (downloads), and their expected totals where known.
    public var activeBytes: Int64
    public var activeExpected: Int64

    public var total: Int { counts.values.reduce(0, +) }
    public var done: Int { counts[.done] ?? 0 }
    public var running: Int { counts[.running] ?? 0 }
    public var failed: Int { (counts[.failed] ?? 0) + (counts[.blocked] ?? 0) }
    /// Items per second finished by this process.
    public var rate: Double { seconds > 0 ? Double(finishedThisRun) / seconds : 0 }
    /// Seconds left at the current rate, when it can be told.
    public var eta: Double? {
        let left = total - done - failed
        return rate > 0 && left > 0 ? Double(left) / rate : nil
    }
}
