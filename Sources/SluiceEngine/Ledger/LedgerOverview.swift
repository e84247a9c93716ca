/// A run at a glance, for displays that look every second: each stage's tasks by state (its
/// group and barrier tasks too), and the items done, failed and unfinished (as
/// ``RunSummary`` counts them) — read by the ledger without reading every task.
public struct LedgerOverview: Sendable, Hashable {
    /// Tasks by stage index, then state.
    public var counts: [Int: [TaskState: Int]]
    /// Items whose every task is done.
    public var done: Int
    /// Items with a failed task.
    public var failed: Int
    /// The other items.
    public var unfinished: Int

    public init(counts: [Int: [TaskState: Int]], done: Int, failed: Int, unfinished: Int) {
        self.counts = counts
        self.done = done
        self.failed = failed
        self.unfinished = unfinished
    }

    /// Tasks in all, of every stage.
    public var tasks: Int { counts.values.reduce(0) { $0 + $1.values.reduce(0, +) } }

    /// Tasks in `state`, of every stage.
    public func tasks(_ state: TaskState) -> Int { counts.values.reduce(0) { $0 + ($1[state] ?? 0) } }

    /// Whether any task is still to run or running.
    public var hasActiveTasks: Bool { counts.values.contains { $0.contains { $0.key.isActive && $0.value > 0 } } }

    /// The overview of `tasks` (every task of a ledger): what the ledgers compute in SQL.
    public init(tasks: [TaskStatus]) {
        var counts: [Int: [TaskState: Int]] = [:]
        var items: [String: (failed: Bool, open: Bool)] = [:]
        for task in tasks {
            counts[task.stage, default: [:]][task.state, default: 0] += 1
            guard !task.isGroup else { continue }
            let seen = items[task.item] ?? (false, false)
            items[task.item] = (seen.failed || task.state == .failed, seen.open || task.state != .done)
        }
        let failed = items.values.count { $0.failed }
        let done = items.values.count { !$0.failed && !$0.open }
        self.init(counts: counts, done: done, failed: failed, unfinished: items.count - done - failed)
    }
}
