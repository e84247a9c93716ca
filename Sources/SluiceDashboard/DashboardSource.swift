import Foundation
public import SluiceEngine

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a dashboard shows and steers: a workspace and its ledger — and, inside `sluice run
/// --serve`, the live runner, whose books and metrics are then read directly. Everything else
/// comes from the ledger, so the same dashboard works from another shell, on a finished run
/// or a running one.
public struct DashboardSource: Sendable {
    public var workspace: Workspace
    public var ledger: any Ledger
    /// The pipeline, when known (a pipeline file was given): submissions need its stages.
    public var config: PipelineConfig?
    /// The runner, when the dashboard runs in the process that runs the pipeline.
    public var runner: PipelineRunner?
    /// The cluster jobs tasks run in, followed through the ledger's events.
    let jobs = ClusterJobs()

    /// A source reading `ledger`; `runner` when serving from inside the run.
    public init(workspace: Workspace, ledger: any Ledger, config: PipelineConfig?, runner: PipelineRunner? = nil) {
        self.workspace = workspace
        self.ledger = ledger
        self.config = config
        self.runner = runner
        runner?.monitor.readMetrics()
    }

    /// Each area's use now: the runner's books when serving from inside the run, else the
    /// runners' latest disk samples in the ledger — those of the minute before the last
    /// heartbeat any runner sent (a finished run's last samples, too), not the whole history.
    func disk() async throws -> [DiskUse] {
        if let runner { return DiskUse.current(from: await runner.diskSamples()) }
        guard let last = try await ledger.workers().map({ max($0.heartbeat, $0.stopped ?? 0) }).max() else { return [] }
        return DiskUse.current(from: try await ledger.samples(since: last - 60))
    }

    /// The metrics in Prometheus's text format: the runner's own (attempts, durations,
    /// failures, evictions and the gauges), or — read from the ledger — tasks per stage and
    /// state and the disk.
    func metrics() async throws -> String {
        if let runner { return runner.monitor.metrics.text() }
        let metrics = RunMetrics()
        metrics.refresh(tasks: try await ledger.counts(stageNames: try await ledger.stageNames()))
        metrics.refresh(disk: try await disk())
        return metrics.text()
    }

    /// Asks the run to stop gracefully (work in flight is given back): the runner itself, or
    /// every live runner of the run on this host, with SIGINT. Returns one sentence saying what
    /// was done.
    func stop() async throws -> String {
        if let runner {
            runner.requestStop()
            return "the run is stopping: work in flight is given back"
        }
        let host = ProcessInfo.processInfo.hostName
        let now = Date().timeIntervalSince1970
        let live = try await ledger.workers().filter { $0.seemsAlive(now: now, within: 120, host: host) }
        let local = live.filter { $0.worker.host == host && $0.worker.pid != Int(getpid()) }
        for status in local { kill(pid_t(status.worker.pid), SIGINT) }
        let elsewhere = live.count - local.count
        guard !local.isEmpty || elsewhere > 0 else { return "no runner of this run is alive" }
        var sentence = "asked \(local.count) runner(s) on this host to stop"
        if elsewhere > 0 { sentence += "; \(elsewhere) on other hosts must be stopped there (or their SLURM jobs cancelled)" }
        return sentence
    }

    /// Makes `item`'s failed tasks pending again; returns how many.
    func retry(item: String) async throws -> Int {
        let count = try await ledger.retry(items: [item], now: Date().timeIntervalSince1970)
        runner?.noteNewItems()
        return count
    }

    /// Adds `item` to the run. Only pipelines whose stages all run per item take submissions:
    /// a group's or the whole run's collective stage may have run already.
    func submit(_ item: ItemSpec) async throws {
        guard let config else {
            throw DashboardError(.cannotSubmit, "submissions need the pipeline: start the dashboard with the pipeline file, not the workspace folder")
        }
        let collective = config.stages.filter(\.scheduling.isCollective).map(\.name)
        guard collective.isEmpty else {
            throw DashboardError(
                .cannotSubmit,
                "this pipeline's stage(s) \(collective.joined(separator: ", ")) run per group or once for all items, and may have run already: submissions go to pipelines whose stages all run per item"
            )
        }
        if try await !ledger.tasks(of: item.name).isEmpty {
            throw DashboardError(.badSubmission, "the run has an item named \(item.name) already: submit under another name")
        }
        try await ledger.register(
            items: [item], stageNames: config.stages.map(\.name), groupStages: [], barrierStages: [], now: Date().timeIntervalSince1970)
        try await ledger.record(
            LedgerEvent(time: Date().timeIntervalSince1970, item: item.name, stage: nil, kind: "submitted", message: item.sources.joined(separator: " ")))
        runner?.noteNewItems()
    }
}
