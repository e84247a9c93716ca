/// The quota every worker of a run shares, enforced in the ledger: a task's reservation is
/// granted only when it fits together with every worker's committed outputs (the ledger's
/// artifacts not yet deleted) and the reservations of tasks still running under a live lease.
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

    /// Whether `bytes` more in `area` fit, given what every worker already holds in each area.
    public func admits(_ bytes: Int64, in area: Area, held: [Area: Int64]) -> Bool {
        let total = held.values.reduce(0, +)
        return (held[area] ?? 0) + bytes <= limits.limit(area) && total + bytes + keepFree <= limits.total
    }
}
