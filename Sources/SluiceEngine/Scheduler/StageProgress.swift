/// One stage's line in the live display.
public struct StageProgress: Sendable {
    /// The stage's name.
    public var name: String
    /// How many of the stage's tasks are in each state, from the ledger.
    public var counts: [TaskState: Int]
    /// Units finished by this process, and the seconds since the run started.
    public var finishedThisRun: Int
    /// Seconds since the run started.
    public var seconds: Double
    /// Bytes moved by work in flight (downloads), and their expected totals where known.
    public var activeBytes: Int64
    /// The sum of the expected totals of work in flight, in bytes (0 for those not known).
    public var activeExpected: Int64

    /// Tasks of the stage, in any state.
    public var total: Int { counts.values.reduce(0, +) }
    /// Tasks done.
    public var done: Int { counts[.done] ?? 0 }
    /// Tasks running now.
    public var running: Int { counts[.running] ?? 0 }
    /// Tasks failed for good, or blocked by an earlier failure.
    public var failed: Int { (counts[.failed] ?? 0) + (counts[.blocked] ?? 0) }
    /// Items per second finished by this process.
    public var rate: Double { seconds > 0 ? Double(finishedThisRun) / seconds : 0 }
    /// Seconds left at the current rate, when it can be told.
    public var eta: Double? {
        let left = total - done - failed
        return rate > 0 && left > 0 ? Double(left) / rate : nil
    }
}
