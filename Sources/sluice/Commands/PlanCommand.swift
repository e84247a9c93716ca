import ArgumentParser
import Foundation
import SluiceEngine
import Synchronization

/// `sluice plan`: what a pipeline would do, told before anything runs.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Resolve a pipeline's items without running anything: their bytes against the budget, and an estimated time.",
        discussion: """
            Prints how many items the pipeline resolves to and their bytes (declared in the manifest, \
            else asked of the source: a local file's length, an HTTP HEAD's Content-Length), the \
            largest item, each area's quota against the most room one item's stages take there (as the \
            run reserves it), and the items that can never fit. When the workspace holds an earlier run, \
            each stage's throughput in it gives an estimated time: the slowest stage's (every stage runs \
            at once) and all stages' one after another. Catalogs (cellxgene:) are resolved as the \
            earlier run's ledger kept them, else asked now. Nothing is fetched, written or changed.
            """)

    @Argument(help: "The pipeline file.") var pipeline: String
    @Flag(help: "Write the plan as JSON (every item, with its room per area).") var json = false
    @Flag(help: "Ask the item catalogs (cellxgene:) again even where an earlier run's ledger kept their lists.") var refresh = false

    func run() async throws {
        var config = try loadPipeline(pipeline)
        var history: [TaskStatus] = []
        var stageNames: [String] = []
        var ledger: (any Ledger)?
        do {
            ledger = try await WorkspaceArgument.resolve(pipeline).ledger
            history = try await ledger?.tasks() ?? []
            stageNames = try await ledger?.stageNames() ?? []
        } catch let error as WorkspaceError where error.code == "workspace.no-ledger" {
            // No earlier run: no estimate, and catalogs are asked.
        }
        let notes = Mutex<[String]>([])
        config = try await ItemResolver(ledger: ledger, refresh: refresh, stores: false).resolve(config) { line in notes.withLock { $0.append(line) } }
        let bytes = try await Self.sizes(of: config)
        for stage in config.stages { await stage.shutdown() }
        let plan = PipelinePlan.make(config: config, bytes: bytes, history: history, stageNames: stageNames)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        } else {
            for note in notes.withLock({ $0 }) { print(note) }
            print(Self.text(plan, pipeline: pipeline), terminator: "")
        }
    }

    /// Each item's bytes, asked of its sources when the manifest declares none (eight at a time).
    static func sizes(of config: PipelineConfig) async throws -> [String: Int64] {
        guard let fetch = config.stages.first as? FetchStage else { return [:] }
        let unknown = config.items.filter { $0.size == nil }
        var sizes: [String: Int64] = [:]
        try await withThrowingTaskGroup(of: (String, Int64?).self) { tasks in
            for (position, item) in unknown.enumerated() {
                if position >= 8, let (name, size) = try await tasks.next() { sizes[name] = size }
                tasks.addTask { (item.name, await fetch.sourceBytes(of: item)) }
            }
            for try await (name, size) in tasks { sizes[name] = size }
        }
        return sizes
    }

    static func text(_ plan: PipelinePlan, pipeline: String) -> String {
        func format(_ bytes: Int64) -> String { ByteSize.format(bytes) }
        var lines: [String] = []
        let unknown = plan.unknownSizes > 0 ? " (\(plan.unknownSizes) of unknown size)" : ""
        lines.append("\(pipeline): \(plan.items.count) items, \(format(plan.totalBytes)) in all\(unknown)")
        if let largest = plan.items.filter({ $0.bytes != nil }).max(by: { $0.bytes! < $1.bytes! }) {
            lines.append("  largest: \(largest.name), \(format(largest.bytes!))")
        }
        lines.append("budget: \(format(plan.budgetTotal)) in all, \(format(plan.overhead)) of it held or kept for the ledger and logs")
        for area in Area.allCases {
            let quota = plan.quotas[area.rawValue] ?? plan.budgetTotal
            guard let most = plan.items.max(by: { ($0.room[area.rawValue] ?? 0) < ($1.room[area.rawValue] ?? 0) }),
                let room = most.room[area.rawValue], room > 0
            else { continue }
            let share = quota > 0 ? String(format: "%.0f %%", Double(room) / Double(quota) * 100) : "-"
            lines.append("  \(area.rawValue): quota \(format(quota)); one item needs at most \(format(room)) (\(most.name), \(share) of it)")
        }
        let never = plan.items.filter { $0.neverFits != nil }
        if never.isEmpty {
            lines.append(plan.unknownSizes == plan.items.count ? "no item's size is known: nothing to check against the budget" : "every item of known size fits the budget")
        } else {
            lines.append("\(never.count) item(s) can never fit (raise the quota, or leave them out):")
            for item in never.prefix(20) { lines.append("  \(item.name): \(item.neverFits!)") }
            if never.count > 20 { lines.append("  … and \(never.count - 20) more (--json lists them all)") }
        }
        guard let estimated = plan.estimatedSeconds, let serial = plan.serialSeconds else {
            lines.append("no earlier run in the workspace: no time estimate (run once, then plan again)")
            return lines.joined(separator: "\n") + "\n"
        }
        lines.append("from the earlier run's throughput:")
        let width = max(5, plan.stages.map(\.stage.count).max() ?? 5)
        for stage in plan.stages {
            let rate = stage.bytesPerSecond.map { "\(format(Int64($0)))/s per task" } ?? "per group or run"
            lines.append(
                "  \(stage.stage.padding(toLength: width, withPad: " ", startingAt: 0))  \(DurationText.format(stage.seconds).padding(toLength: 9, withPad: " ", startingAt: 0))  \(rate), \(stage.concurrency) at a time (\(stage.measuredTasks) measured)"
            )
        }
        let slowest = plan.stages.max { $0.seconds < $1.seconds }!.stage
        let note = plan.unknownSizes > 0 ? " (items of unknown size not counted)" : ""
        lines.append("about \(DurationText.format(estimated)) with every stage at once (\(slowest) is the slowest); \(DurationText.format(serial)) one stage after another\(note)")
        return lines.joined(separator: "\n") + "\n"
    }
}
