import ArgumentParser
import Foundation
import ServiceLifecycle
import SluiceDashboard
import SluiceEngine
import SluicePipelines
import Synchronization

/// `sluice run PIPELINE.yaml`: runs or resumes a pipeline under its disk budget.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run or resume a pipeline: every item through every stage, never above the disk budget.",
        discussion: """
            The pipeline file declares the workspace, the budget, the items and the stages \
            (docs/pipeline.md). Running it again continues where it stopped; completed work is \
            never redone. Ctrl-C stops gracefully (work in flight finishes or is given back); a \
            second Ctrl-C stops at once, and the next run recovers.

            With --workers slurm:N (or workers: in the pipeline file) the work runs on SLURM \
            instead: N `sluice worker` processes, submitted as one job array that this command \
            follows (docs/cluster.md); Ctrl-C cancels the array, whose workers give their tasks \
            back. Run it again to follow (not resubmit) an array still in the queue.

            Exit status: 0 all items done, 3 some items failed, 2 the pipeline could not run, \
            4 every SLURM worker ended with work left, 130 stopped by a signal.
            """)

    @Argument(help: "The pipeline file (YAML).") var pipeline: String
    @Flag(help: "Print only the summary.") var quiet = false
    @Option(help: "Also write the run's Prometheus metrics to this file every few seconds (atomically, for node_exporter's textfile collector).")
    var metricsFile: String?
    @Flag(help: "Write the summary as JSON to standard output.") var json = false
    @Option(help: "Run the work on SLURM as N workers (a job array of `sluice worker`), e.g. slurm:8; overrides the pipeline's workers:.")
    var workers: String?
    @Option(help: "Seconds between looks at SLURM's queue and the ledger, with workers on SLURM.") var poll: Double = 5
    @Flag(help: "Serve the live dashboard (and /metrics) while the run goes; see `sluice dashboard --help`.") var serve = false
    @Flag(help: "When every item is finished, keep waiting for new ones (submitted through the dashboard) until stopped.") var wait = false
    @Flag(help: "Ask the item catalogs (cellxgene:) again instead of taking the list the ledger kept from the first run, and say what changed.")
    var refresh = false
    @OptionGroup(title: "Dashboard (with --serve)") var dashboard: DashboardOptions

    func validate() throws {
        if let workers { _ = try Self.workerCount(workers) }
        guard poll >= 0.2 else { throw ValidationError("--poll must be at least 0.2 seconds") }
    }

    /// N in `slurm:N`.
    static func workerCount(_ text: String) throws -> Int {
        guard text.hasPrefix("slurm:"), let count = Int(text.dropFirst("slurm:".count)), count >= 1 else {
            throw ValidationError("--workers takes slurm:N, N at least 1 (e.g. slurm:8)")
        }
        return count
    }

    func run() async throws {
        var config = try loadPipeline(pipeline)
        if let workers {
            var spec = config.workers ?? WorkerArraySpec(count: 1)
            spec.count = try Self.workerCount(workers)
            config.workers = spec
        }
        if let spec = config.workers {
            guard !serve, !wait else { throw ValidationError("--serve and --wait run with the pipeline here; with workers on SLURM use `sluice dashboard` beside it") }
            return try await runOnSlurm(config, spec)
        }
        let access = serve ? try dashboard.access() : nil
        let display = RunDisplay(enabled: !quiet && !json)
        let session = try await PipelineSession(config: config, role: .run(wait: wait), refresh: refresh, onLine: { line in display.line(line) })
        let runner = session.runner
        config = session.config
        if let metricsFile { runner.monitor.writeMetrics(to: (metricsFile as NSString).standardizingPath) }
        let signals = StopSignals {
            display.line("stopping: work in flight is given back (Ctrl-C again stops at once)")
            runner.requestStop()
        }
        var services: [any Service] = [signals, LiveProgress(display: display, runner: runner)]
        if let access {
            let source = DashboardSource(workspace: runner.workspace, ledger: runner.ledger, config: config, runner: runner)
            services.append(DashboardServer(source: source, access: access, onListening: { DashboardOptions.announce($0, access: access) }))
        }
        let summary: RunSummary
        do {
            summary = try await session.run(alongside: services)
        } catch is StopError {
            // The second signal: the run was cancelled; the next run recovers what was in flight.
            throw ExitCode(130)
        }
        try printSummary(summary, config)
        await writeReport(config, ledger: runner.ledger)
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw SluiceExitCode.someItemsFailed }
    }
}

extension RunCommand {
    /// Prints the run's summary: as JSON with `--json`, else as text.
    private func printSummary(_ summary: RunSummary, _ config: PipelineConfig) throws {
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(RunSummaryText.render(summary, workspace: Workspace(root: config.workspace), ledger: config.ledger))
        }
    }

    /// Writes the run's report and says where (not with `--json`).
    private func writeReport(_ config: PipelineConfig, ledger: any Ledger) async {
        let line = await ReportLine.write(config, ledger: ledger, pipeline: pipeline)
        if !json { print(line) }
    }

    /// Submits the workers as a SLURM job array and follows it (the workspace lock keeps a second
    /// driver out), then prints the run's summary.
    private func runOnSlurm(_ declared: PipelineConfig, _ spec: WorkerArraySpec) async throws {
        let started = Date()
        let workspace = Workspace(root: declared.workspace)
        try workspace.create()
        let lock = try WorkspaceLock(workspace)
        let display = RunDisplay(enabled: !quiet && !json)
        let (ledger, config) = try await PipelineSession.openLedger(declared, workspace: workspace, refresh: refresh) { display.line($0) }
        guard let sluice = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else {
            throw ValidationError("cannot tell where this sluice binary is, to run it on SLURM")
        }
        let array = WorkerArray(config: config, spec: spec, sluice: sluice, poll: poll)
        let stop = StopRequest()
        let signals = StopSignals {
            display.line("stopping: cancelling the workers' jobs (they give their tasks back)")
            stop.flag.withLock { $0 = true }
        }
        let outcome = try await withThrowingTaskGroup(of: WorkerArray.Outcome?.self) { group in
            group.addTask {
                try await signals.run()
                return nil
            }
            group.addTask { try await array.run(ledger: ledger, stopRequested: { stop.flag.withLock { $0 } }, onLine: { display.line($0) }) }
            while let next = try await group.next() {
                if let outcome = next {
                    group.cancelAll()
                    return outcome
                }
            }
            throw StopError()
        }
        withExtendedLifetime(lock) {}
        let summary = RunSummary.from(
            tasks: try await ledger.tasks(), stageNames: config.stages.map(\.name), seconds: Date().timeIntervalSince(started),
            workspace: workspace.root, interrupted: outcome == .stopped)
        try printSummary(summary, config)
        await writeReport(config, ledger: ledger)
        switch outcome {
        case .stopped: throw ExitCode(130)
        case .workersEnded:
            display.line("every worker's job ended with work left: run the same command again to submit new workers")
            throw SluiceExitCode.workersEnded
        case .finished:
            if summary.failed > 0 { throw SluiceExitCode.someItemsFailed }
        }
    }
}

/// Whether a signal asked the SLURM driver to stop.
private final class StopRequest: Sendable {
    let flag = Mutex(false)
}

/// Loads a pipeline file with every stage kind the program has; the options of `analyze`
/// stages are parsed as `sluice analyze` would parse them, so that a misspelt option is one
/// error before anything runs, not a failure of every item.
func loadPipeline(_ path: String) throws -> PipelineConfig {
    try PipelineConfig.load(
        path,
        registry: PipelineStages.registry { analysis, arguments in
            do {
                // cross-atlas takes two inputs or more (the stage gives it every item's); validate
                // takes its files by options.
                let kind = AnalyzeStageOptions.Analysis(rawValue: analysis)
                let inputs = kind == .crossAtlas ? ["A=INPUT", "B=INPUT"] : kind?.takesInputArgument == false ? [] : ["INPUT"]
                _ = try Sluice.parseAsRoot(["analyze", analysis] + inputs + arguments + ["--output", "OUTPUT"])
                return nil
            } catch {
                return Sluice.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid options"
            }
        })
}
