/// The budget's books at one moment, for progress displays and benchmarks.
public struct BudgetSnapshot: Sendable {
    /// The limits the budget enforces.
    public var limits: BudgetLimits
    /// Bytes written and committed, per area.
    public var committed: [Area: Int64]
    /// Bytes promised to writers still at work, per area.
    public var reserved: [Area: Int64]
    /// Ledger and logs.
    public var overhead: Int64
    /// Files and folders, committed and promised (for `budget.files`).
    public var files: Int
    /// Of `files`, the ledger's and the logs'.
    public var overheadFiles: Int
    /// Reservations waiting for space.
    public var waiting: Int
    /// True while the filesystem is above its high-water mark (fetching paused).
    public var filesystemPaused: Bool

    /// Committed plus reserved bytes of an area.
    public func held(_ area: Area) -> Int64 { (committed[area] ?? 0) + (reserved[area] ?? 0) }
    /// Everything held, overhead included.
    public var totalHeld: Int64 { Area.allCases.reduce(overhead) { $0 + held($1) } }
}
