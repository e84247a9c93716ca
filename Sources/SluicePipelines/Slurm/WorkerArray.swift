import Foundation
public import SluiceEngine
import SluiceFormats

/// `sluice run` with its workers on SLURM: submits `sluice worker` as one job array, follows it
/// with one `squeue` call per poll (whatever the number of workers), and ends when the run has
/// nothing left to do — or when no worker is left to do it.
///
/// The array's job name is derived from the workspace, so a driver started again (after a
/// `kill -9` at any moment, even between `sbatch` and its next line) finds the array it
/// submitted in the queue and follows it instead of submitting a second one.
public struct WorkerArray: Sendable {
    /// The pipeline the workers run.
    public let config: PipelineConfig
    /// How many workers, with which resources.
    public let spec: WorkerArraySpec
    /// The `sluice` binary the jobs run (on a shared file system, where every node sees it).
    public let sluice: String
    /// Seconds between two looks at the queue and the ledger.
    public let poll: Double
    /// The workers' lease (`sluice worker --lease`).
    public let lease: Double
    private let slurm = SlurmClient()

    /// How a followed array ended.
    public enum Outcome: Sendable, Equatable {
        /// The run has nothing left to do.
        case finished
        /// Every worker's job ended (cancelled, timed out, failed) with work left.
        case workersEnded
        /// The driver was asked to stop; the array was cancelled (its workers give their tasks back).
        case stopped
    }

    /// A driver for `config`'s run on `spec`'s workers.
    public init(config: PipelineConfig, spec: WorkerArraySpec, sluice: String, poll: Double = 5, lease: Double = 60) {
        self.config = config
        self.spec = spec
        self.sluice = sluice
        self.poll = poll
        self.lease = lease
    }

    /// The array's job name: `sluice-` and 12 hex digits of the workspace path's SHA-256.
    public var jobName: String {
        "sluice-" + Checksum.sha256(Data(config.workspace.utf8)).prefix(12)
    }

    /// Submits the array (or adopts the one in the queue), then follows it until the run is
    /// done, every worker has ended, or `stopRequested` says so (looked at five times a second).
    public func run(ledger: any Ledger, stopRequested: @Sendable () -> Bool, onLine: @Sendable (String) -> Void) async throws -> Outcome {
        let workspace = Workspace(root: config.workspace)
        let mine = try await slurm.queue().filter { $0.name == jobName && $0.isLive }
        let arrayID: String
        if let adopted = mine.first?.arrayID {
            arrayID = adopted
            onLine("following the workers already in the queue: job \(adopted) (\(mine.count) task(s))")
        } else {
            arrayID = try await submit(workspace: workspace)
            try await ledger.record(
                LedgerEvent(
                    time: Date().timeIntervalSince1970, item: nil, stage: nil, kind: "workers-submitted",
                    message: "SLURM job array \(arrayID) (\(jobName)), \(spec.count) worker(s)"))
            onLine("submitted \(spec.count) worker(s) to SLURM: job array \(arrayID); their logs are in \(logFolder(workspace))")
        }
        var lastLine = ""
        while true {
            // Counts, not every task: the driver looks each poll for as long as the run lasts.
            let overview = try await ledger.overview()
            if !overview.hasActiveTasks {
                onLine("the run has nothing left to do; the workers end on their own")
                return .finished
            }
            let jobs = try await slurm.queue().filter { $0.arrayID == arrayID && $0.isLive }
            if jobs.isEmpty {
                // The last look at the ledger may predate the workers' last commits.
                if try await ledger.overview().hasActiveTasks { return .workersEnded }
                return .finished
            }
            let running = jobs.filter { $0.state == "RUNNING" }.count
            let line = "workers: \(running) running, \(jobs.count - running) waiting in the queue; tasks: \(overview.tasks(.done)) of \(overview.tasks) done"
            if line != lastLine { onLine(line) }
            lastLine = line
            let next = ContinuousClock.now + .seconds(poll)
            while ContinuousClock.now < next, !stopRequested() { try await Task.sleep(for: .milliseconds(200)) }
            if stopRequested() {
                try await slurm.cancel([arrayID])
                onLine("cancelled job array \(arrayID): its workers give their tasks back")
                return .stopped
            }
        }
    }

    /// Writes the batch script and submits it as an array; returns the array's job id.
    private func submit(workspace: Workspace) async throws -> String {
        let folder = logFolder(workspace)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let script = folder + "/workers.sh"
        // Only paths the user gave go in, each quoted: no item value ever reaches a shell.
        let text = """
            #!/bin/sh
            # Written by sluice run: one Sluice worker per task of this job array. SLURM's
            # --signal=B:USR1 reaches the worker itself (exec), which then gives its tasks back.
            exec \(Self.quoted(sluice)) worker \(Self.quoted(config.file)) --lease \(lease)

            """
        try AtomicCommit.write(Data(text.utf8), to: script)
        chmod(script, 0o755)
        let options =
            [
                "--array=0-\(spec.count - 1)", "--job-name=\(jobName)", "--output=\(folder)/worker-%A_%a.log",
                "--signal=B:USR1@120", "--chdir=\((config.file as NSString).deletingLastPathComponent)",
            ] + spec.resources.sbatchOptions
        return try await slurm.submit(script: script, options: options)
    }

    private func logFolder(_ workspace: Workspace) -> String { workspace.logsFolder + "/slurm" }

    /// `text` in single quotes for `sh`.
    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
