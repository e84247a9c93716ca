import Foundation
import SluiceEngine
import SluiceFormats

/// The record of one batch's SLURM job in the workspace, `logs/slurm/<stage>/<name>/`: its items
/// (written before `sbatch`), its job id (written as soon as `sbatch` answers), the file the
/// job script writes its program's exit status to, and SLURM's log of the job. The name comes
/// from the batch — workspace, stage and items — so the same batch, claimed again after a
/// crash, finds its job here and in the queue.
struct SlurmBatchJob {
    /// The job's name in SLURM: `sluice-` and 16 hex digits.
    let name: String
    /// The stage's folder of jobs.
    let stageFolder: String
    /// This job's folder.
    var folder: String { stageFolder + "/" + name }
    /// Where the job script writes the program's exit status, once it ended on its own.
    var exitFile: String { folder + "/exit-code" }

    /// The record of the batch of `units` in stage `stage`.
    init(stage: String, units: [StageUnit], workspace: Workspace) throws {
        let key = ([workspace.root, stage] + units.map(\.name).sorted()).joined(separator: "\n")
        name = "sluice-" + Checksum.sha256(Data(key.utf8)).prefix(16)
        stageFolder = try workspace.absolute("logs/slurm/" + stage)
    }

    private init(name: String, stageFolder: String) {
        self.name = name
        self.stageFolder = stageFolder
    }

    /// The items of the batch, as recorded before its submission.
    var items: [String] {
        ((try? String(contentsOfFile: folder + "/items", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The job id recorded after `sbatch` answered.
    var recordedID: String? {
        (try? String(contentsOfFile: folder + "/job-id", encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// The id in the name of the job's log (`slurm-ID.out`), the latest when there are several.
    var loggedID: String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.compactMap { name -> Int? in
            guard name.hasPrefix("slurm-"), name.hasSuffix(".out") else { return nil }
            return Int(name.dropFirst(6).dropLast(4))
        }.max().map(String.init)
    }

    /// The program's exit status, once the job wrote it.
    var exitStatus: Int32? {
        (try? String(contentsOfFile: exitFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// SLURM's log of job `id` (the program's output and errors).
    func log(id: String) -> String { folder + "/slurm-\(id).out" }

    /// The `sbatch` options that name the job, its folder and its log.
    var sbatchOptions: [String] {
        // `%` starts a pattern in SLURM's file names; `%%` is a `%`.
        let escaped = folder.replacingOccurrences(of: "%", with: "%%")
        return ["--job-name=\(name)", "--chdir=\(folder)", "--output=\(escaped)/slurm-%j.out", "--open-mode=append"]
    }

    /// Starts the record afresh with the batch's items (what an earlier job left goes).
    func prepare(items: [String]) throws {
        if FileManager.default.fileExists(atPath: exitFile) { try FileManager.default.removeItem(atPath: exitFile) }
        try? FileManager.default.removeItem(atPath: folder + "/job-id")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try AtomicCommit.write(Data((items.joined(separator: "\n") + "\n").utf8), to: folder + "/items")
    }

    /// Records the id `sbatch` gave the job.
    func recordID(_ id: String) throws {
        try AtomicCommit.write(Data((id + "\n").utf8), to: folder + "/job-id")
    }

    /// Ends the record of job `id` (it failed, or was cancelled): its exit status is kept beside
    /// its log under the job's id, and the next attempt submits a new job.
    func retire(id: String) {
        try? FileManager.default.moveItem(atPath: exitFile, toPath: exitFile + "." + id)
        try? FileManager.default.removeItem(atPath: folder + "/job-id")
    }

    /// Forgets a job of an earlier batch: it is never adopted.
    func forget() {
        if let id = recordedID { retire(id: id) }
        try? FileManager.default.removeItem(atPath: folder + "/items")
    }

    /// The stage's other jobs with a record of their items.
    func siblings() -> [SlurmBatchJob] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stageFolder)) ?? []
        return names.sorted().filter { $0 != name && $0.hasPrefix("sluice-") }.map { SlurmBatchJob(name: $0, stageFolder: stageFolder) }
            .filter { FileManager.default.fileExists(atPath: $0.folder + "/items") }
    }

    /// Writes the job's script (in its own folder: jobs are prepared at once): it runs the
    /// program — its arguments after the first — and records the exit status in the file its
    /// first argument names, atomically. Stopped by SLURM (cancelled, out of time), it records
    /// nothing.
    func writeScript() throws -> String {
        let path = folder + "/job.sh"
        let text = """
            #!/bin/sh
            # Written by sluice: runs a slurm stage's program (the arguments after the first) and
            # records its exit status in the file the first argument names — unless the job is
            # stopped (scancel, time limit, preemption): then it records nothing.
            trap 'exit 143' TERM INT HUP
            exit_file=$1
            shift
            "$@"
            status=$?
            printf '%s\\n' "$status" > "$exit_file.tmp" && mv -f "$exit_file.tmp" "$exit_file"
            exit "$status"

            """
        try AtomicCommit.write(Data(text.utf8), to: path)
        chmod(path, 0o755)
        return path
    }
}
