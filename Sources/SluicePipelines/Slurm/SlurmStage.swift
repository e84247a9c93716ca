import Foundation
public import SluiceEngine
import SluiceFormats

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program as one SLURM job per batch of items (docs/cluster.md): batches close by
/// weight — items, bytes, cells, pages or a manifest column — or after a wait; each job runs the stage's argv
/// (placeholders expanded as for a `command` stage, passed to `sbatch` as arguments, never a
/// shell line) through a small script that records the program's exit status in a file; the
/// declared outputs are checked as for a `command` stage. Sluice trusts that file and the
/// outputs over what SLURM says of the job.
///
/// Each job's name comes from its batch (the workspace, the stage and the items), and the
/// submission is recorded in the ledger's events. A driver killed at any moment — before
/// `sbatch` returns, before the ledger write, while jobs run — claims the same batch again on
/// restart, finds the job by its name (in the queue, or finished with its exit-status file)
/// and adopts it: a batch is never submitted twice. A job whose batch changed meanwhile is
/// cancelled. On a stop, the stage `scancel`s its jobs.
public struct SlurmStage: ConfigurableStage {
    public static let kind = "slurm"
    /// Jobs are preempted and nodes fail: two more tries by default.
    public static let defaultRetries = 2
    public let header: StageHeader
    public let options: SlurmStageOptions
    private let slurm: SlurmClient
    /// One look at the queue per poll interval for all of this stage's jobs.
    private let watch: SlurmQueueWatch

    public init(header: StageHeader, options: StageOptions) throws {
        self.header = header
        self.options = try SlurmStageOptions(options)
        slurm = SlurmClient()
        watch = SlurmQueueWatch(client: slurm, interval: self.options.poll)
    }

    public var scheduling: StageScheduling { options.scheduling }
    public var outputArea: Area? { options.command.area }
    public var consumesInputs: Bool { options.command.deleteInputs }
    public var adoptsInterruptedAttempts: Bool { true }

    public func outputFolder(item: String, isGroup: Bool) -> String? {
        "\(options.command.area.rawValue)/\(item)/\(name)"
    }

    public func estimatedBytes(inputBytes: Int64, item: ItemSpec) -> Int64 {
        options.command.reserveBytes ?? Int64(Double(inputBytes) * options.command.outputRatio)
    }

    // MARK: Weights

    public func weight(ofInput folder: String, item: ItemSpec) async throws -> Double? {
        guard options.batchMinimum != nil else { return nil }
        switch options.weight {
        case .items:
            return 1
        case .bytes:
            return Double(DiskUsage.contentBytes(at: folder))
        case .pages:
            var pages = 0
            for file in Self.files(in: folder) where file.lowercased().hasSuffix(".pdf") {
                guard let count = try PDFPageCount.of(file) else {
                    throw StageError(code: "slurm.weight", "\(file) ends in .pdf but is not a PDF: its pages cannot be counted")
                }
                pages += count
            }
            return Double(pages)
        case .cells:
            guard let sluice = CommandStage.runningSluice() else {
                throw StageError(code: "slurm.weight", "cells are counted by the sluice program (sluice inspect), which is not what runs this stage")
            }
            guard let file = InputFolder.single(in: folder, pattern: nil, suffixes: [".h5ad", ".h5", ".loom"]).chosen,
                let inspection = await CellFileInspection.of(file, matrix: nil, sluice: sluice)
            else {
                throw StageError(code: "slurm.weight", "the cells of \(item.name) cannot be counted: its input holds no one readable cells file")
            }
            return Double(inspection.cells)
        case .column(let name):
            guard let text = item.metadata?[name] else {
                throw StageError(
                    code: "slurm.weight",
                    "\(item.name) has no value in a manifest column '\(name)' (batch_weight is items, bytes, cells, pages or a manifest column)")
            }
            guard let value = Double(text), value.isFinite, value >= 0 else {
                throw StageError(code: "slurm.weight", "\(item.name)'s \(name) is '\(text)', not a number of 0 or more")
            }
            return value
        }
    }

    /// Every regular file under `folder`, sorted.
    private static func files(in folder: String) -> [String] {
        let enumerator = FileManager.default.enumerator(atPath: folder)
        var files: [String] = []
        while let name = enumerator?.nextObject() as? String {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), !isFolder.boolValue { files.append(folder + "/" + name) }
        }
        return files.sorted()
    }

    // MARK: Running a batch

    public func run(_ units: [StageUnit], context: StageContext) async throws {
        let workspace = context.workspace
        let job = try SlurmBatchJob(stage: name, units: units, workspace: workspace)
        let arguments = try CommandLineTemplate(argv: options.command.argv, reference: options.command.reference).expand(units)
        let program = (arguments[0] as NSString).lastPathComponent
        let names = units.map(\.name)
        var submitted: ContinuousClock.Instant?
        let id: String
        if job.exitStatus != nil {
            // Its id may not have been recorded (a crash while sbatch answered): its log names it.
            id = job.recordedID ?? job.loggedID ?? "?"
            units[0].log.log(step: name, "adopting SLURM job \(id) (\(job.name)), which finished while no one followed it")
            try await context.record("slurm-adopted", item: names.count == 1 ? names[0] : nil, "job \(id) (\(job.name)), finished, for \(names.joined(separator: ", "))")
        } else if let live = try await watch.liveJob(named: job.name) {
            id = live.id
            units[0].log.log(step: name, "adopting SLURM job \(id) (\(job.name)), still in the queue")
            try await context.record("slurm-adopted", item: names.count == 1 ? names[0] : nil, "job \(id) (\(job.name)) for \(names.joined(separator: ", "))")
        } else {
            try await cancelJobs(overlapping: job, workspace: workspace)
            // A fresh start: what an earlier job of these items left goes.
            for unit in units {
                guard let partial = unit.partialOutput else { continue }
                try workspace.remove(partial)
                try FileManager.default.createDirectory(atPath: partial, withIntermediateDirectories: true)
            }
            try job.prepare(items: names)
            let started = ContinuousClock.now
            id = try await slurm.submit(
                script: try job.writeScript(), options: job.sbatchOptions + options.resources.sbatchOptions, arguments: [job.exitFile] + arguments)
            try job.recordID(id)
            if ProcessInfo.processInfo.environment["SLUICE_TEST_KILL_AFTER_SBATCH"] != nil {
                // For the crash test: the driver dies between sbatch and the ledger write.
                kill(getpid(), SIGKILL)
            }
            try await context.record("slurm-submitted", item: names.count == 1 ? names[0] : nil, "job \(id) (\(job.name)) for \(names.joined(separator: ", "))")
            units[0].log.log(step: name, "submitted SLURM job \(id) (\(job.name)) for \(names.count) item(s)")
            submitted = started
        }
        context.record(nativeID: id)

        let status: Int32
        do {
            status = try await follow(job, id: id, since: submitted)
        } catch {
            if Task.isCancelled || error is CancellationError {
                // A stop: the job goes too (the next attempt submits it again).
                await Task.detached { [slurm] in try? await slurm.cancel([id]) }.value
                job.retire(id: id)
            }
            throw error
        }
        guard status == 0 else {
            job.retire(id: id)
            let tail = CommandStage.lastLine(of: job.log(id: id)).map { " — last output: \"\($0)\"" } ?? ""
            // A program killed by a stop's signal (the shell reports 128 + the signal) was stopped
            // from outside, not by what it read: worth another attempt.
            let outside = [SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR1].map { 128 + $0 }.contains(status)
            throw StageError(
                code: outside ? "slurm.killed" : "slurm.exit-status",
                "\(program) \(outside ? "was stopped by signal \(status - 128)" : "exited with status \(status)") in SLURM job \(id); see \(job.log(id: id))\(tail)",
                transient: outside)
        }
        do {
            for unit in units { try CommandStage.checkOutputs(unit, patterns: options.command.outputs, program: program) }
        } catch {
            job.retire(id: id)
            throw error
        }
    }

    /// Waits for job `id` to end; returns its program's exit status from the job's file. A job
    /// that left the queue without one was stopped from outside (cancelled, out of time, its
    /// node lost): a transient failure, with what `sacct` says of it where accounting is kept.
    private func follow(_ job: SlurmBatchJob, id: String, since submitted: ContinuousClock.Instant?) async throws -> Int32 {
        let started = ContinuousClock.now
        let pause = Duration.milliseconds(Int(options.poll * 1000))
        while true {
            if let status = job.exitStatus { return status }
            if let timeout = options.command.timeout, ContinuousClock.now - started > .seconds(timeout) {
                await Task.detached { [slurm] in try? await slurm.cancel([id]) }.value
                job.retire(id: id)
                throw StageError(code: "slurm.timeout", "SLURM job \(id) did not finish within \(DurationText.format(timeout)) and was cancelled", transient: true)
            }
            try await Task.sleep(for: pause)
            if try await watch.liveJob(named: job.name, since: submitted) != nil { continue }
            // Out of the queue: its file has the word (a shared file system may show it late).
            for _ in 0..<3 {
                if let status = job.exitStatus { return status }
                try await Task.sleep(for: pause)
            }
            job.retire(id: id)
            let accounting = await slurm.accounting(of: id).map { " (sacct: \($0.state), exit code \($0.exitCode))" } ?? ""
            throw StageError(
                code: "slurm.job-lost",
                "SLURM job \(id) left the queue without recording its program's exit status\(accounting): cancelled, out of time or its node lost; see \(job.log(id: id))",
                transient: true)
        }
    }

    /// Cancels the jobs of earlier batches that share an item with `job` (a batch made again
    /// after a crash, and differently), and forgets them, so that they are never adopted.
    private func cancelJobs(overlapping job: SlurmBatchJob, workspace: Workspace) async throws {
        let mine = Set(job.items)
        for other in job.siblings() where !mine.isDisjoint(with: other.items) {
            if let live = try await watch.liveJob(named: other.name) {
                try await slurm.cancel([live.id])
                let deadline = ContinuousClock.now + .seconds(60)
                while ContinuousClock.now < deadline, try await watch.liveJob(named: other.name, since: ContinuousClock.now) != nil {
                    try await Task.sleep(for: .milliseconds(Int(options.poll * 1000)))
                }
            }
            other.forget()
        }
    }
}
