/// The quota every worker of a run shares, enforced in the ledger: a task's reservation is
/// granted only when it fits together with every worker's committed outputs (the ledger's
/// artifacts not yet deleted) and the reservations of tasks still running — a dead worker's
/// included, until a live worker takes its tasks back and removes what they left.
public struct SharedQuota: Sendable, Equatable {
    /// The run's limits: its total and per-area bounds (bytes; files are bounded per worker).
    public var limits: BudgetLimits
    /// Bytes to leave free beyond the reservation: the ledger and logs, and a producer's headroom.
    public var keepFree: Int64

    /// A quota with its limits and the bytes it keeps free.
    public init(limits: BudgetLimits, keepFree: Int64 = 0) {
        self.limits = limits
        self.keepFree = keepFree
    }

    /// Whether a task may hold `mine` (bytes per area) beside what every other task holds.
    public func admits(_ mine: [Area: Int64], besides others: [Area: Int64]) -> Bool {
        let total = others.values.reduce(0, +) + mine.values.reduce(0, +)
        return total + keepFree <= limits.total
            && Area.allCases.allSatisfy { (others[$0] ?? 0) + (mine[$0] ?? 0) <= limits.limit($0) }
    }
}
