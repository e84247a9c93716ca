/// How a run ended: every item's outcome, and where things are.
public struct RunSummary: Sendable, Codable {
    /// Where one item ended.
    public struct ItemOutcome: Sendable, Codable {
        /// Done, failed for good at some stage, or not finished (the run stopped before it).
        public enum State: String, Sendable, Codable { case done, failed, unfinished }
        /// The item's name.
        public var item: String
        /// How the item ended.
        public var state: State
        /// The stage that failed, and why.
        public var stage: String?
        /// The failure's message, if any (nil when the item is done).
        public var reason: String?
    }

    /// Every item's outcome, in item order (groups left out).
    public var items: [ItemOutcome]
    /// Seconds the run took.
    public var seconds: Double
    /// The workspace's root folder.
    public var workspace: String
    /// True when the run stopped early (a signal) rather than running out of work.
    public var interrupted: Bool

    /// Items that went through every stage.
    public var done: Int { items.filter { $0.state == .done }.count }
    /// Items that failed for good.
    public var failed: Int { items.filter { $0.state == .failed }.count }
    /// Items the run did not finish.
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
