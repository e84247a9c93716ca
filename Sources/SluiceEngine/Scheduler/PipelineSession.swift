import Foundation

/// Everything one `sluice run` holds: the workspace lock, the ledger, the stages, the budget
/// and the runner — opened together, closed together.
public final class PipelineSession: Sendable {
    public let config: PipelineConfig
    public let runner: PipelineRunner
    private let lock: WorkspaceLock

    /// Loads nothing itself: `config` is already checked. Takes the workspace lock and opens the ledger.
    public init(config: PipelineConfig, onLine: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.config = config
        let workspace = Workspace(root: config.workspace)
        try workspace.create()
        lock = try WorkspaceLock(workspace)
        // A run killed with kill -9 may have left stage programs running: stop them before
        // anything of theirs is recovered or started again.
        if let previous = lock.previousHolder { ParentWatch.stopChildren(of: previous) }
        let ledger = try SQLiteLedger(path: workspace.ledgerPath)
        let stages = config.stages
        try ledger.register(items: config.items, stageNames: stages.map(\.name),
                            groupStages: Set(stages.indices.filter { stages[$0].scheduling == .perGroup }),
                            barrierStages: Set(stages.indices.filter { stages[$0].scheduling == .barrier }),
                            now: Date().timeIntervalSince1970)
        let root = workspace.root
        let (usage, overhead) = (workspace.usage(), workspace.overhead())
        let budget = DiskBudget(limits: config.budget, usage: usage.bytes, files: usage.entries, overhead: overhead.bytes, overheadFiles: overhead.entries,
                                filesystemFraction: { DiskUsage.filesystemFraction(at: root) })
        runner = PipelineRunner(config: config, ledger: ledger, budget: budget, onLine: onLine)
    }

    /// Runs the pipeline to its end (or to `runner.requestStop()`), then closes the stages.
    public func run() async throws -> RunSummary {
        do {
            let summary = try await runner.run()
            for stage in config.stages { await stage.shutdown() }
            return summary
        } catch {
            for stage in config.stages { await stage.shutdown() }
            throw error
        }
    }
}
