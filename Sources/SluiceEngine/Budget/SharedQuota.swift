/// The quota every worker of a run shares, enforced in the ledger: a task's reservation is
/// granted only when it fits together with every worker's committed outputs (the ledger's
/// artifacts not yet deleted) and the reservations of tasks still running — a dead worker's
/// included, until a live worker takes its tasks back and removes what they left.
public struct SharedQuota: Sendable, Equatable {
    /// The run's limits: its total and per-area bounds, and its bound on files and folders.
    public var limits: BudgetLimits
    /// Bytes to leave free beyond the reservation: the ledger and logs, and a producer's headroom.
    public var keepFree: Int64
    /// Files and folders to leave free beyond the reservation: the ledger's and the logs'.
    public var keepFreeFiles: Int

    /// A quota with its limits and what it keeps free.
    public init(limits: BudgetLimits, keepFree: Int64 = 0, keepFreeFiles: Int = 0) {
        self.limits = limits
        self.keepFree = keepFree
        self.keepFreeFiles = keepFreeFiles
    }

    /// Whether a task may hold `mine` (bytes per area) and `files` files and folders beside
    /// what every other task holds (`others`, `otherFiles`).
    public func admits(_ mine: [Area: Int64], files: Int = 0, besides others: [Area: Int64], otherFiles: Int = 0) -> Bool {
        let total = others.values.reduce(0, +) + mine.values.reduce(0, +)
        return total + keepFree <= limits.total
            && Area.allCases.allSatisfy { (others[$0] ?? 0) + (mine[$0] ?? 0) <= limits.limit($0) }
            && limits.files.map { otherFiles + files + keepFreeFiles <= $0 } ?? true
    }
}
