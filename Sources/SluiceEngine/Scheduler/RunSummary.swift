/// How a run ended: every item's outcome, and where things are.
public struct RunSummary: Sendable, Codable {
    /// Where one item ended.
    public struct ItemOutcome: Sendable, Codable {
        /// Done, failed for good at some stage, or not finished (the run stopped before it).
        public enum State: String, Sendable, Codable { case done, failed, unfinished }
        public var item: String
        public var state: State
        /// The stage that failed, and why.
        public var stage: String?
        public var reason: String?
    }

    public var items: [ItemOutcome]
    public var seconds: Double
    public var workspace: String
    /// True when the run stopped early (a signal) rather than running out of work.
    public var interrupted: Bool

    public var done: Int { items.filter { $0.state == .done }.count }
    public var failed: Int { items.filter { $0.state == .failed }.count }
    public var unfinished: Int { items.filter { $0.state == .unfinished }.count }

    /// Builds the summary from the ledger's task table.
    public static func from(tasks: [TaskStatus], stageNames: [String], seconds: Double, workspace: String, interrupted: Bool) -> RunSummary {
        var byItem: [String: [TaskStatus]] = [:]
        var order: [String] = []
        for task in tasks where !task.isGroup {
            if byItem[task.item] == nil { order.append(task.item) }
            byItem[task.item, default: []].append(task)
        }
        let items = order.map { item -> ItemOutcome in
            let stages = byItem[item]!
            if let failed = stages.first(where: { $0.state == .failed }) {
                return ItemOutcome(item: item, state: .failed, stage: stageNames[failed.stage], reason: failed.failure?.message)
            }
            if stages.allSatisfy({ $0.state == .done }) { return ItemOutcome(item: item, state: .done) }
            let current = stages.first { $0.state != .done }
            return ItemOutcome(item: item, state: .unfinished, stage: current.map { stageNames[$0.stage] }, reason: current?.failure?.message)
        }
        return RunSummary(items: items, seconds: seconds, workspace: workspace, interrupted: interrupted)
    }
}
