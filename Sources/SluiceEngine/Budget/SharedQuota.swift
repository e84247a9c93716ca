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

    /// Whether a task may set what it holds to `amounts` (bytes per area, 0 dropping an area)
    /// and `files` files and folders in one of them, beside what the ledger's `held` rows say
    /// is held: committed outputs and running reservations per area, the task's own marked
    /// `mine` (those of its areas in `amounts` are replaced). The one reading of those rows both
    /// ledgers share.
    public func admits(
        _ amounts: [Area: Int64], files: (count: Int, area: Area)?, held: [(area: String, bytes: Int64, files: Int, mine: Bool)]
    ) -> Bool {
        var (mine, others) = ([Area: Int64](), [Area: Int64]())
        var (myFiles, otherFiles) = (0, 0)
        for row in held {
            guard let area = Area(rawValue: row.area) else { continue }
            if row.mine {
                mine[area, default: 0] += row.bytes
                // A row the change rewrites takes its new count.
                if amounts[area] == nil { myFiles += row.files }
            } else {
                others[area, default: 0] += row.bytes
                otherFiles += row.files
            }
        }
        for (area, bytes) in amounts { mine[area] = bytes }
        if let files, amounts[files.area, default: 0] > 0 { myFiles += files.count }
        return admits(mine, files: myFiles, besides: others, otherFiles: otherFiles)
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
