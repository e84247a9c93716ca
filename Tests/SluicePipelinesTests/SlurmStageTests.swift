import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Testing

/// The `slurm` stage kind on this machine's SLURM (`scripts/services/slurm.sh`): PDFs batched
/// by their pages into jobs, followed with one `squeue` per poll, and a driver killed between
/// `sbatch` and its ledger write that adopts its job on restart instead of submitting it again.
@Suite(.serialized, .enabled(if: SlurmTestCluster.runs && GeneratedPDF.runs, "skipped: no SLURM, or no Ghostscript"))
struct SlurmStageTests {
    /// Pages of the eight PDFs, in item order; batches close at 8 pages, 3 items at most:
    /// [3, 5] = 8, [2, 4, 6] = 12, and [1, 2, 3] = 6 once nothing more can arrive.
    static let pages = [3, 5, 2, 4, 6, 1, 2, 3]
    static let batches = [[0, 1], [2, 3, 4], [5, 6, 7]]

    /// PDFs in `in/`, a pipeline that batches them by pages into SLURM jobs whose program
    /// copies each PDF and writes the job's id beside it, and shims that count each `sbatch`
    /// and `squeue` before running the real one. `gated` jobs wait (up to 2 min) for the file
    /// `open` in the folder instead of sleeping 4 s, so a test can look at them while they run.
    private func prepare(_ folder: TemporaryDirectory, gated: Bool = false) throws -> [String: String] {
        try FileManager.default.createDirectory(atPath: folder.file("in"), withIntermediateDirectories: true)
        for (index, count) in Self.pages.enumerated() {
            try GeneratedPDF.write((0..<count).map { ["document \(index)", "page \($0 + 1)"] }, to: folder.file("in/doc\(index).pdf"))
        }
        let program = """
            import os, shutil, sys, time
            gate, waited = \(gated ? "\"\(folder.file("open"))\"" : "None"), 0
            while gate is not None and not os.path.exists(gate) and waited < 1200:
                time.sleep(0.1)
                waited += 1
            if gate is None:
                time.sleep(4)
            pairs = sys.argv[1:]
            half = len(pairs) // 2
            for source, target in zip(pairs[:half], pairs[half:]):
                for name in os.listdir(source):
                    shutil.copy(os.path.join(source, name), target)
                with open(os.path.join(target, "job.txt"), "w") as out:
                    out.write(os.environ["SLURM_JOB_ID"] + " " + str(half) + "\\n")
            """
        try program.write(toFile: folder.file("copy.py"), atomically: true, encoding: .utf8)
        let yaml = """
            workspace: ./work
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {concurrency: 1}
              - slurm:
                  name: ocr
                  concurrency: 3
                  argv: [python3, \(folder.file("copy.py")), "{in}", "{out}"]
                  outputs: ["*.pdf", job.txt]
                  batch_weight: pages
                  batch_min: 8
                  batch_max: 3
                  batch_max_wait: 10m
                  poll: 0.5s
                  time: "5:00"
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        // Shims first on the PATH: each call is counted, then the real tool runs.
        let shims = folder.file("shims")
        try FileManager.default.createDirectory(atPath: shims, withIntermediateDirectories: true)
        for tool in ["sbatch", "squeue"] {
            let real = try #require(Self.which(tool))
            let shim = "#!/bin/sh\necho x >> \(folder.file("\(tool).calls"))\nexec \(real) \"$@\"\n"
            try shim.write(toFile: shims + "/" + tool, atomically: true, encoding: .utf8)
            chmod(shims + "/" + tool, 0o755)
        }
        return ["PATH": shims + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")]
    }

    /// Each item's job id, from the outputs.
    private func jobs(_ folder: TemporaryDirectory) throws -> [Int: String] {
        var jobs: [Int: String] = [:]
        for index in Self.pages.indices {
            let text = try String(contentsOfFile: folder.file("work/output/doc\(index).pdf/ocr/job.txt"), encoding: .utf8)
            jobs[index] = String(text.split(separator: " ")[0])
        }
        return jobs
    }

    private func calls(_ tool: String, _ folder: TemporaryDirectory) -> Int {
        ((try? String(contentsOfFile: folder.file("\(tool).calls"), encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    @Test func pdfsGoToJobsInBatchesOfEnoughPages() async throws {
        let folder = try TemporaryDirectory("sluice-slurm-stage")
        let environment = try prepare(folder)
        let start = ContinuousClock.now
        let run = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path, timeout: 300, environment: environment)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")

        // The batches are the page-weighted ones, each one job.
        let jobs = try jobs(folder)
        for batch in Self.batches {
            #expect(Set(batch.map { jobs[$0] }).count == 1, "batch \(batch) ran in jobs \(batch.map { jobs[$0] ?? "?" })")
        }
        #expect(Set(jobs.values).count == Self.batches.count)
        #expect(calls("sbatch", folder) == Self.batches.count)
        // The trace names each item's job.
        let traced = try traceRows(folder.file("work/logs/trace.tsv")).filter { $0["process"] == "ocr" && $0["status"] == "COMPLETED" }
        #expect(traced.count == Self.pages.count)
        for row in traced { #expect(row["native_id"] == jobs[Int(row["tag"]!.dropFirst(3).dropLast(4))!], "\(row)") }
        for index in Self.pages.indices {
            let copy = try Data(contentsOf: URL(fileURLWithPath: folder.file("work/output/doc\(index).pdf/ocr/doc\(index).pdf")))
            #expect(copy == (try Data(contentsOf: URL(fileURLWithPath: folder.file("in/doc\(index).pdf")))))
        }
        // One squeue per poll interval (0.5 s) at most, though three jobs ran at once.
        let looks = calls("squeue", folder)
        #expect(looks > 0 && Double(looks) <= seconds / 0.5 + 1, "\(looks) squeue calls in \(seconds) s")
        // The submissions are in the ledger.
        let events = try await SluiceBinary.run(["events", "p.yaml"], in: folder.path, timeout: 60)
        #expect(events.standardOutput.components(separatedBy: "slurm-submitted").count - 1 == Self.batches.count, "\(events.standardOutput)")
    }

    /// The driver dies (`kill -9` of itself, by a test switch) right after `sbatch` answered for
    /// a batch, before it wrote the submission to the ledger. The next run — at once, while the
    /// jobs run, or once they have ended unobserved — claims the batches again, finds their jobs
    /// (in the queue, or by their exit-status files) and adopts them: `sbatch` runs once per
    /// batch in all.
    @Test(arguments: [false, true]) func aDriverKilledAfterSbatchAdoptsItsJob(afterTheJobsEnded: Bool) async throws {
        let folder = try TemporaryDirectory("sluice-slurm-stage")
        var environment: [String: String?] = try prepare(folder)
        environment["SLUICE_TEST_KILL_AFTER_SBATCH"] = "1"
        let killed = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path, timeout: 300, environment: environment)
        #expect(killed.status == 128 + 9 || killed.status == -9 || killed.status == 9, "\(killed.status) \(killed.standardOutput)\(killed.standardError)")
        // Batches prepared at once (the stage runs three) may have reached sbatch too.
        #expect(calls("sbatch", folder) >= 1)

        if afterTheJobsEnded {
            // Until none of this run's jobs is in the queue (they work in its workspace).
            try await offThePool {
                while runAndWait(["squeue", "--noheader", "--format=%Z"]).output.contains(folder.path + "/") { Thread.sleep(forTimeInterval: 0.2) }
            }
        }
        environment["SLUICE_TEST_KILL_AFTER_SBATCH"] = nil
        let resumed = try await SluiceBinary.run(["run", "p.yaml"], in: folder.path, timeout: 300, environment: environment)
        #expect(resumed.status == 0, "\(resumed.standardOutput)\(resumed.standardError)")
        #expect(calls("sbatch", folder) == Self.batches.count, "a batch was submitted twice")
        let jobs = try jobs(folder)
        #expect(Set(jobs.values).count == Self.batches.count)
        let events = try await SluiceBinary.run(["events", "p.yaml"], in: folder.path, timeout: 60)
        #expect(events.standardOutput.contains("slurm-adopted"), "\(events.standardOutput)")
    }

    /// A job cancelled from outside (an operator's `scancel`, a preemption) leaves the queue
    /// without its exit-status file (its script records nothing when stopped): its items fail
    /// as transient and go again in new jobs, and the run ends with every item done.
    @Test func aJobCancelledFromOutsideIsSubmittedAgain() async throws {
        let folder = try TemporaryDirectory("sluice-slurm-stage")
        let environment = try prepare(folder)
        let launched = try WorkerTests.launch(try SluiceBinary.path(), ["run", folder.file("p.yaml")], environment: environment, log: folder.file("run.log"))
        // The first of the run's jobs seen running is cancelled (on a thread of its own).
        let cancelled: String? = try await offThePool {
            while launched.isRunning {
                // This run's jobs work in its workspace (other tests' jobs share the cluster).
                let output = runAndWait(["squeue", "--noheader", "--states=RUNNING", "--format=%j|%i|%Z"]).output
                if let line = output.split(separator: "\n").first(where: { $0.hasPrefix("sluice-") && $0.contains("|" + folder.path + "/") }) {
                    let id = String(line.split(separator: "|")[1])
                    _ = runAndWait(["scancel", id])
                    return id
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
            return nil
        }
        let status = await exitStatus(of: launched)
        #expect(cancelled != nil, "no job of the run was seen running")
        #expect(status == 0)
        // The cancelled batch went again (its items retried at their own moments may form other
        // batches): every job but the cancelled one made outputs, and none was submitted twice.
        let made = Set(try jobs(folder).values)
        #expect(!made.contains(cancelled ?? ""))
        #expect(calls("sbatch", folder) == made.count + 1)
        let events = try await SluiceBinary.run(["events", "p.yaml"], in: folder.path, timeout: 60)
        // Whether the script or its program saw the signal first, the items were retried.
        let retried = events.standardOutput.split(separator: "\n").filter { $0.contains(" retrying ") }
        #expect(
            !retried.isEmpty && retried.allSatisfy { $0.contains("left the queue without recording") || $0.contains("was stopped by signal 15") },
            "\(events.standardOutput)")
    }

    /// `sluice dashboard` on a running workspace shows each running task's SLURM job: while the
    /// jobs run (they wait for the test's word), the ids it shows are those of the run's jobs in
    /// the queue, and each is the job that then made its item's output.
    @Test func theDashboardShowsTheJobEachTaskRunsIn() async throws {
        let folder = try TemporaryDirectory("sluice-slurm-stage")
        let environment = try prepare(folder, gated: true)
        let launched = try WorkerTests.launch(try SluiceBinary.path(), ["run", folder.file("p.yaml")], environment: environment, log: folder.file("run.log"))
        // The jobs end once the test opens their gate, whatever happens to it.
        defer { _ = FileManager.default.createFile(atPath: folder.file("open"), contents: nil) }
        // The dashboard reads the run's ledger, once the run has made it (tried again while the
        // run has not written its stages yet).
        var started: ServedSluice?
        for _ in 0..<100 where started == nil && launched.isRunning {
            if FileManager.default.fileExists(atPath: folder.file("work/sluice.db")) {
                started = try? await ServedSluice(["dashboard", folder.file("p.yaml")], in: folder.path)
            }
            if started == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        let dashboard = try #require(started, "sluice dashboard did not start on the running workspace")
        // Until every item was shown in its job (all three jobs are submitted at once, and none
        // can end before the gate opens), each look at the page followed by one at the queue.
        var shown: [String: String] = [:]  // item → job
        var queued = Set<String>()
        let deadline = ContinuousClock.now + .seconds(240)
        while launched.isRunning && shown.count < Self.pages.count && ContinuousClock.now < deadline {
            if let state = try? JSONSerialization.jsonObject(with: try await httpGet(dashboard.base + "/api/state").data) as? [String: Any] {
                for task in state["running"] as? [[String: Any]] ?? [] {
                    if let item = task["item"] as? String, let job = task["job"] as? String { shown[item] = job }
                }
            }
            // This run's jobs (they work in its workspace; other tests' jobs share the cluster).
            let output = try await offThePool { runAndWait(["squeue", "--noheader", "--format=%i|%Z"]).output }
            for line in output.split(separator: "\n") where line.contains("|" + folder.path + "/") { queued.insert(String(line.split(separator: "|")[0])) }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(shown.count == Self.pages.count, "the dashboard showed the jobs of \(shown.keys.sorted()) only")
        #expect(Set(shown.values).isSubset(of: queued), "shown \(shown), queued \(queued)")
        _ = FileManager.default.createFile(atPath: folder.file("open"), contents: nil)
        #expect(await exitStatus(of: launched) == 0)
        await dashboard.stop()
        // The job an item was shown in is the one that made its output.
        let made = try jobs(folder)
        for (item, job) in shown {
            let index = Int(item.dropFirst(3).dropLast(4))!
            #expect(made[index] == job, "\(item): shown in job \(job), made by \(made[index] ?? "none")")
        }
    }

    private static func which(_ tool: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(tool)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
