import Foundation

/// What a pipeline would do, told before it runs (`sluice plan`): its items and their bytes, the
/// room each needs per area against the budget's quotas, the items that can never fit, and —
/// when the workspace holds an earlier run — the time each stage should take at the throughput
/// it had then.
public struct PipelinePlan: Sendable, Encodable {
    /// One item: its bytes (nil when neither declared nor found out), the most room one of its
    /// stages takes in each area (as the runner reserves it), and why it can never fit, if so.
    public struct Item: Sendable, Encodable {
        public var name: String
        public var bytes: Int64?
        public var room: [String: Int64]
        public var neverFits: String?
    }

    /// One stage's throughput in the earlier run and the time it gives for the planned items.
    public struct StageEstimate: Sendable, Encodable {
        public var stage: String
        /// Tasks (or batches) run at once.
        public var concurrency: Int
        /// The earlier run's finished tasks measured (a batch's items count as one task).
        public var measuredTasks: Int
        /// Bytes of input per second of one task, per item; nil for a stage run per group or
        /// once for the run (its time is then its tasks' mean, per group or run).
        public var bytesPerSecond: Double?
        /// Seconds the planned items take at that rate, `concurrency` tasks at a time.
        public var seconds: Double
    }

    public var items: [Item]
    /// The bytes of the items whose size is known, and how many items have none.
    public var totalBytes: Int64
    public var unknownSizes: Int
    /// `budget.total`, what of it the ledger and logs hold or keep for their growth, and each
    /// area's quota (the total where none is given).
    public var budgetTotal: Int64
    public var overhead: Int64
    public var quotas: [String: Int64]
    /// Stages the earlier run measured, in pipeline order; empty without one.
    public var stages: [StageEstimate]
    /// The slowest stage's time (every stage runs at once), and all stages' one after another.
    public var estimatedSeconds: Double?
    public var serialSeconds: Double?

    /// The plan of `config`'s items, given each item's bytes (``FetchStage/sourceBytes(of:)``)
    /// and an earlier run's tasks and stage names (none: no estimate).
    public static func make(config: PipelineConfig, bytes: [String: Int64], history: [TaskStatus] = [], stageNames: [String] = []) -> PipelinePlan {
        let limits = config.budget
        // The budget counts the ledger and logs (and room for their growth) before any data.
        let overhead = Workspace(root: config.workspace).overhead().bytes
        let areas = Area.allCases
        var items: [Item] = []
        for spec in config.items {
            var item = spec
            item.size = bytes[spec.name] ?? spec.size
            guard let size = item.size, let first = config.stages.first else {
                items.append(Item(name: spec.name, bytes: nil, room: [:], neverFits: nil))
                continue
            }
            // The room each stage takes, by area, and the stage that takes the most.
            var room: [Area: (bytes: Int64, stage: String)] = [:]
            func note(_ area: Area, _ bytes: Int64, _ stage: String) {
                if bytes > (room[area]?.bytes ?? 0) { room[area] = (bytes, stage) }
            }
            if let area = first.outputArea { note(area, PipelineRunner.allocation(of: first, inputBytes: size, item: item), first.name) }
            for stage in config.stages.dropFirst() {
                for area in areas { note(area, PipelineRunner.room(for: stage, inputBytes: size, item: item, in: [area]), stage.name) }
            }
            var reason: String?
            for area in areas {
                guard let need = room[area], need.bytes > limits.limit(area) else { continue }
                reason =
                    "\(need.stage) needs \(ByteSize.format(need.bytes)) in \(area.rawValue), more than its quota of \(ByteSize.format(limits.limit(area)))"
                break
            }
            if reason == nil, first.isSource {
                // A download keeps its later stages' room free as it fetches (the runner's
                // headroom), and a margin for the producers (``DiskBudget``).
                let download = PipelineRunner.allocation(of: first, inputBytes: size, item: item)
                let later = PipelineRunner.laterRoom(config.stages, inputBytes: size, item: item, in: Set(areas))
                if overhead + download + later + DiskBudget.producerMargin(limits) > limits.total {
                    reason =
                        "its download (\(ByteSize.format(download))) and the room its later stages need (\(ByteSize.format(later))) do not fit in budget.total (\(ByteSize.format(limits.total))) beside the ledger and logs (\(ByteSize.format(overhead)))"
                }
            }
            items.append(Item(name: spec.name, bytes: size, room: Dictionary(uniqueKeysWithValues: room.map { ($0.key.rawValue, $0.value.bytes) }), neverFits: reason))
        }
        let known = items.compactMap(\.bytes)
        var plan = PipelinePlan(
            items: items, totalBytes: known.reduce(0, +), unknownSizes: items.count - known.count, budgetTotal: limits.total, overhead: overhead,
            quotas: Dictionary(uniqueKeysWithValues: areas.map { ($0.rawValue, limits.limit($0)) }), stages: [])
        plan.estimate(config: config, history: history, stageNames: stageNames)
        return plan
    }

    /// Each stage's time for the planned bytes at the rate the earlier run's finished tasks had.
    private mutating func estimate(config: PipelineConfig, history: [TaskStatus], stageNames: [String]) {
        let done = history.filter { $0.state == .done && $0.started != nil && $0.finished != nil }
        // An item's input bytes: what its first stage committed.
        let fetched = Dictionary(done.filter { $0.stage == 0 && !$0.isGroup }.map { ($0.item, $0.bytes ?? 0) }, uniquingKeysWith: max)
        let groups = Set(config.items.map(\.groupName)).count
        for stage in config.stages {
            guard let index = stageNames.firstIndex(of: stage.name) else { continue }
            let tasks = done.filter { $0.stage == index }
            guard !tasks.isEmpty else { continue }
            let concurrency = max(1, stage.header.concurrency)
            if stage.scheduling.isCollective {
                let mean = tasks.reduce(0.0) { $0 + ($1.finished! - $1.started!) } / Double(tasks.count)
                let runs = stage.scheduling == .barrier ? 1 : groups
                stages.append(StageEstimate(stage: stage.name, concurrency: concurrency, measuredTasks: tasks.count, bytesPerSecond: nil, seconds: mean * Double(runs)))
                continue
            }
            // The items of one batch share their start and finish: one task's time, their bytes.
            let batches = Dictionary(grouping: tasks.filter { (fetched[$0.item] ?? 0) > 0 }) { "\($0.started!) \($0.finished!)" }
            let seconds = batches.values.reduce(0.0) { $0 + ($1[0].finished! - $1[0].started!) }
            let bytes = batches.values.joined().reduce(Int64(0)) { $0 + fetched[$1.item]! }
            guard seconds > 0, bytes > 0 else { continue }
            let rate = Double(bytes) / seconds
            stages.append(
                StageEstimate(
                    stage: stage.name, concurrency: concurrency, measuredTasks: batches.count, bytesPerSecond: rate,
                    seconds: Double(totalBytes) / rate / Double(concurrency)))
        }
        guard !stages.isEmpty else { return }
        estimatedSeconds = stages.map(\.seconds).max()
        serialSeconds = stages.reduce(0) { $0 + $1.seconds }
    }
}
