import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
import Synchronization
import Testing

/// `sluice run --workers slurm:N`: the work runs in a SLURM job array of `sluice worker`s that
/// share a PostgreSQL ledger, followed by the driver with one `squeue` call per poll.
///
/// Runs the real `sluice` binary on this machine's SLURM (`scripts/services/slurm.sh`).
@Suite(.serialized, .enabled(if: SlurmTestCluster.runs && PostgresTestServer.runs, "skipped: no SLURM or no PostgreSQL"))
struct SlurmWorkerTests {
    /// Three array tasks; the second is cancelled with `scancel` while work remains (its worker
    /// gives its task back on SIGTERM). The other two finish the run: every task done exactly once, the
    /// outputs all there, and the driver exits 0.
    @Test func jobArrayWorkersFinishWithOneCancelled() async throws {
        let sluice = try SluiceBinary.path()
        let folder = try TemporaryDirectory("sluice-slurm")
        let count = 24
        try WorkerTests.textItems(count, in: folder) { "item \($0)\n" }
        let (location, password) = try WorkerTests.sharedServer(schema: "s")
        let yaml = """
            workspace: ./work
            ledger: \(location)
            budget: {total: 50MB}
            items:
              - directory: in
            stages:
              - fetch: {}
              - command:
                  name: slow
                  argv: [sh, -c, 'sleep 2; cp "$0"/* "$1"/', "{in}", "{out}"]
                  outputs: ["*.txt"]
              - cleanup: {keep: [output]}
            """
        try yaml.write(toFile: folder.file("p.yaml"), atomically: true, encoding: .utf8)
        // This run's array (other tests' jobs share the cluster).
        let config = try PipelineConfig.load(folder.file("p.yaml"), registry: PipelineStages.registry())
        let array = WorkerArray(config: config, spec: WorkerArraySpec(count: 3), sluice: sluice).jobName
        let user = SlurmClient().user
        let output = folder.file("work/output")
        let driver = try WorkerTests.launch(
            sluice, ["run", folder.file("p.yaml"), "--workers", "slurm:3", "--poll", "0.5"], environment: ["SLUICE_PG_PASSWORD": password],
            log: folder.file("driver.log"))

        // Once some work is done, the second worker is cancelled (the run has 16 s of work left
        // for three workers). The watch starts at once on a thread of its own, with blocking
        // calls: where tests compute on Swift's two cooperative threads, this test's next await
        // may come only after the run is over (it did, in CI).
        let cancelled = Mutex<String?>(nil)
        let watched = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            defer { watched.signal() }
            while driver.isRunning {
                let done = ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter {
                    FileManager.default.fileExists(atPath: output + "/" + $0 + "/slow")
                }.count
                if done >= 2, let second = Self.queue(user: user).first(where: { $0.hasPrefix(array + "|") && $0.contains("_1|") }) {
                    let id = String(second.split(separator: "|")[1])
                    _ = runAndWait(["scancel", id])
                    cancelled.withLock { $0 = id }
                    return
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        let ledger = try await PostgresLedger(location: location)
        let slurm = SlurmClient()
        try await offThePool { watched.wait() }
        let status = await exitStatus(of: driver)
        let log = (try? String(contentsOfFile: folder.file("driver.log"), encoding: .utf8)) ?? ""
        #expect(cancelled.withLock { $0 } != nil, "the second worker was never seen in the queue while work remained\n\(log)")
        #expect(status == 0, "\(log)")

        #expect(try await ledger.tasks().allSatisfy { $0.state == .done })
        let completions = try await WorkerTests.completions(in: ledger)
        #expect(completions.count == count * 3)
        #expect(completions.values.allSatisfy { $0 == 1 }, "\(completions.filter { $0.value != 1 })")
        for index in 0..<count {
            let copy = try? String(contentsOfFile: folder.file("work/output/f\(index).txt/slow/f\(index).txt"), encoding: .utf8)
            #expect(copy == "item \(index)\n", "f\(index).txt")
        }
        // The workers end on their own once the run is done: none is left in the queue.
        let ending = ContinuousClock.now
        var left = try await slurm.queue().filter { $0.name == array && $0.isLive }
        while !left.isEmpty, ContinuousClock.now - ending < .seconds(30) {
            try await Task.sleep(for: .milliseconds(200))
            left = try await slurm.queue().filter { $0.name == array && $0.isLive }
        }
        #expect(left.isEmpty, "\(left)")
        // Each worker, the cancelled one too (SIGTERM: it gave its task back), stopped on its own.
        let workers = try await ledger.workers()
        #expect(workers.count >= 2 && workers.allSatisfy { $0.stopped != nil }, "\(workers)")
        try await ledger.dropSchema()
        await ledger.close()
    }

    /// The user's live jobs, `NAME|ID` per line (array tasks one by one), by a blocking `squeue`.
    private static func queue(user: String) -> [String] {
        runAndWait(["squeue", "--noheader", "--array", "--user=\(user)", "--states=PENDING,RUNNING", "--format=%j|%i|"]).output.split(separator: "\n").map(String.init)
    }
}
