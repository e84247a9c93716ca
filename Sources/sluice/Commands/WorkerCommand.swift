import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice worker PIPELINE.yaml`: one of any number of processes, on one node or many, that share
/// a run through its ledger.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work on a pipeline's run beside other workers that share its ledger (on one node or many).",
        discussion: """
            Workers claim tasks from the pipeline's ledger under leases they renew with \
            heartbeats; a worker that dies (kill -9, a node lost, a job's time limit) loses \
            nothing: once its lease runs out, any live worker takes its tasks back. Every byte \
            is reserved against one quota that all workers share, kept in the ledger, so the \
            pipeline's budget holds for the run as a whole, not per worker.

            Across nodes the ledger must be PostgreSQL (ledger: postgres://… in the pipeline \
            file; docs/cluster.md); the default SQLite ledger serves workers on one node only. \
            The workspace must be a folder every worker sees (a shared file system).

            A worker exits once the run has nothing left that it could do: 0 when every item \
            is done, 3 when some failed (as sluice run). With --wait it keeps polling for new \
            items instead, until stopped. Ctrl-C, SIGTERM or SIGUSR1 (what SLURM sends \
            ahead of a time limit with --signal=B:USR1@SECONDS) gives its work back at once.

            With node-local scratch (--scratch, or node: in the pipeline file), the items this \
            worker fetches stay on its node (raw/ and interim/, under --scratch-budget), and \
            their next stages run on this worker only; the shared areas (output, checkpoints) \
            stay in the workspace under the shared quota. When the worker stops or dies, those \
            of its items that still need their files are fetched again by any worker.
            """)

    @Argument(help: "The pipeline file (YAML).") var pipeline: String
    @Flag(help: "Keep polling for new items when the run has nothing left to do, until stopped.") var wait = false
    @Option(help: "Seconds a claimed task stays this worker's without a heartbeat (one is sent every sixth).")
    var lease: Double = 60
    @Option(help: "Seconds to wait at start for a ledger server that does not answer yet (a job may start while it restarts).")
    var connectWait: Double = 60
    @Option(help: "A folder on this node's own disk for raw/ and interim/ (overrides node: scratch in the pipeline file; $VAR is expanded).")
    var scratch: String?
    @Option(help: "The most raw/ and interim/ may hold in --scratch, e.g. 200GB (overrides node: budget).")
    var scratchBudget: String?
    @Flag(help: "Print only the summary.") var quiet = false
    @Option(help: "Also write the run's Prometheus metrics to this file every few seconds (atomically, for node_exporter's textfile collector).")
    var metricsFile: String?

    func validate() throws {
        if let scratchBudget, ByteSize.parse(scratchBudget) == nil {
            throw ValidationError("--scratch-budget must be a size such as 200GB, not \(scratchBudget)")
        }
        guard lease >= 1 else { throw ValidationError("--lease must be at least 1 second") }
        guard connectWait >= 0 else { throw ValidationError("--connect-wait cannot be negative") }
    }

    /// The worker's session, after waiting up to `--connect-wait` seconds for the ledger's server
    /// to answer (any other error ends the worker at once).
    private func openSession(_ config: PipelineConfig, display: RunDisplay) async throws -> PipelineSession {
        let deadline = ContinuousClock.now + .seconds(connectWait)
        var said = false
        while true {
            do {
                return try await PipelineSession(config: config, role: .worker(wait: wait), lease: lease) { line in display.line(line) }
            } catch let error as LedgerError where error.code == .unreachable && ContinuousClock.now < deadline {
                if !said { display.line("\(error.message); waiting up to \(Int(connectWait)) s for it") }
                said = true
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    func run() async throws {
        var config = try loadPipeline(pipeline)
        if scratch != nil || scratchBudget != nil {
            guard let folder = scratch ?? config.node?.path, let budget = scratchBudget.flatMap(ByteSize.parse) ?? config.node?.budget else {
                throw ValidationError("--scratch and --scratch-budget go together (or with node: {scratch: DIR, budget: SIZE} in the pipeline file)")
            }
            config.node = NodeScratch(path: folder, budget: budget)
            try config.checkScratch()
        }
        let display = RunDisplay(enabled: !quiet)
        let session = try await openSession(config, display: display)
        let runner = session.runner
        if let metricsFile { runner.monitor.writeMetrics(to: (metricsFile as NSString).standardizingPath) }
        display.line("worker \(runner.worker.id) on \(config.ledger)" + (runner.workspace.scratch.map { ", scratch \($0)" } ?? ""))
        let signals = StopSignals {
            display.line("stopping: work in flight is given back (Ctrl-C again stops at once)")
            runner.requestStop()
        }
        let summary: RunSummary
        do {
            summary = try await session.run(alongside: [signals])
        } catch is StopError {
            throw ExitCode(130)
        }
        print(RunSummaryText.render(summary, workspace: Workspace(root: config.workspace), ledger: config.ledger))
        if summary.interrupted { throw ExitCode(130) }
        if summary.failed > 0 { throw SluiceExitCode.someItemsFailed }
    }
}
