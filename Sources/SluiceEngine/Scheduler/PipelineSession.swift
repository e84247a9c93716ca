import Foundation
import Logging
public import ServiceLifecycle
import Synchronization

/// Everything one `sluice run` holds: the workspace lock, the ledger, the stages, the budget
/// and the runner — opened together, closed together.
public final class PipelineSession: Sendable {
    /// The checked pipeline the session runs.
    public let config: PipelineConfig
    /// The runner that pushes the items through the stages.
    public let runner: PipelineRunner
    /// The workspace lock, held by `sluice run` (workers share the workspace and hold none).
    private let lock: WorkspaceLock?

    /// Loads nothing itself: `config` is already checked. Opens the ledger (resolving the
    /// pipeline's catalogs, asking their services again with `refresh`) and, for `sluice run`,
    /// takes the workspace lock. `lease` is how long a claimed task stays this process's
    /// without a heartbeat.
    public init(
        config: PipelineConfig, role: RunnerRole = .run(wait: false), lease: Double = 60, refresh: Bool = false,
        onLine: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws {
        // Node-local scratch: a folder of this process's own (another worker on the node has its own).
        let scratch = try config.node.map { "\(try $0.folder())/sluice-\(getpid())-\(UUID().uuidString.prefix(8).lowercased())" }
        let workspace = Workspace(root: config.workspace, scratch: scratch)
        try workspace.create()
        if role.isRun {
            let lock = try WorkspaceLock(workspace)
            // A run killed with kill -9 may have left stage programs running: stop them before
            // anything of theirs is recovered or started again.
            if let previous = lock.previousHolder { ParentWatch.stopChildren(of: previous) }
            self.lock = lock
        } else {
            lock = nil
        }
        let ledger: any Ledger
        let resolved: PipelineConfig
        do {
            (ledger, resolved) = try await Self.openLedger(config, workspace: workspace, refresh: refresh, onLine: onLine)
        } catch {
            if let scratch { try? FileManager.default.removeItem(atPath: scratch) }
            throw error
        }
        // Downloads pause when the filesystem they write to is nearly full: the scratch's, if any.
        let fetched = workspace.folder(.raw)
        let (usage, overhead) = (workspace.usage(), workspace.overhead())
        let budget = DiskBudget(
            limits: config.budget, usage: usage.bytes, files: usage.entries, overhead: overhead.bytes, overheadFiles: overhead.entries,
            scratchLimit: config.node?.budget, filesystemFraction: { DiskUsage.filesystemFraction(at: fetched) })
        self.config = resolved
        runner = PipelineRunner(config: resolved, ledger: ledger, budget: budget, role: role, lease: lease, workspace: workspace, onLine: onLine)
    }

    /// Opens (or creates) `config`'s ledger, records where it is in the workspace, puts the
    /// items of the pipeline's catalogs in its item list (``ItemResolver``), and registers the
    /// items not known yet, with their tasks. Returns the ledger and the resolved pipeline.
    public static func openLedger(
        _ config: PipelineConfig, workspace: Workspace, refresh: Bool = false, onLine: (String) -> Void = { _ in }
    ) async throws -> (ledger: any Ledger, config: PipelineConfig) {
        let ledger = try await config.ledger.open(workspace: workspace)
        try config.ledger.record(in: workspace)
        let config = try await ItemResolver(ledger: ledger, refresh: refresh).resolve(config, onLine: onLine)
        let stages = config.stages
        try await ledger.register(
            items: config.items, stageNames: stages.map(\.name),
            groupStages: Set(stages.indices.filter { stages[$0].scheduling.isPerGroup }),
            barrierStages: Set(stages.indices.filter { stages[$0].scheduling == .barrier }),
            now: Date().timeIntervalSince1970)
        return (ledger, config)
    }

    /// Runs the pipeline to its end (or to `runner.requestStop()`), then closes the stages.
    ///
    /// The runner and its housekeeping run as services of one `ServiceGroup`, with `alongside`
    /// (signal handling, a live display): when the runner ends, the group shuts the others down
    /// gracefully; when one of them throws, the group is cancelled and the error is thrown here.
    public func run(alongside services: [any Service] = []) async throws -> RunSummary {
        let run = RunnerService(runner: runner)
        // A helper that ends early (a display with no terminal) leaves the run alone; one that
        // throws (a second signal) cancels it.
        let configurations =
            ([HousekeepingService(runner: runner)] + services).map {
                ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .ignore)
            }
            // Last, so that a graceful shutdown reaches it first and the others keep working
            // (leases renewed, signals heard) until it has given its work back.
            + [
                ServiceGroupConfiguration.ServiceConfiguration(
                    service: run, successTerminationBehavior: .gracefullyShutdownGroup,
                    failureTerminationBehavior: .gracefullyShutdownGroup)
            ]
        var logger = Logger(label: "sluice.services")
        logger.logLevel = .critical
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: configurations, logger: logger))
        do {
            try await group.run()
        } catch {
            for stage in config.stages { await stage.shutdown() }
            throw error
        }
        for stage in config.stages { await stage.shutdown() }
        guard let summary = run.summary else { throw CancellationError() }
        return summary
    }
}

/// The runner as a service: a graceful shutdown asks it to stop (work is given back).
private final class RunnerService: Service, Sendable {
    let runner: PipelineRunner
    private let result = Mutex<RunSummary?>(nil)

    init(runner: PipelineRunner) { self.runner = runner }

    var summary: RunSummary? { result.withLock { $0 } }

    func run() async throws {
        let summary = try await withGracefulShutdownHandler {
            try await runner.run()
        } onGracefulShutdown: { [runner] in
            runner.requestStop()
        }
        result.withLock { $0 = summary }
    }
}

/// The runner's housekeeping as a service, until the group shuts down.
private struct HousekeepingService: Service {
    let runner: PipelineRunner

    func run() async {
        await cancelWhenGracefulShutdown { await runner.keepHouse() }
    }
}
