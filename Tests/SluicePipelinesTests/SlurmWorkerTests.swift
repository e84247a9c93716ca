import Foundation
import SluiceEngine
import SluicePipelines
import SluiceTestSupport
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
        let driver = try WorkerTests.launch(
            sluice, ["run", folder.file("p.yaml"), "--workers", "slurm:3", "--poll", "0.5"], environment: ["SLUICE_PG_PASSWORD": password],
            log: folder.file("driver.log"))

        // Once some work is done, the second worker is cancelled (the run has 16 s of work left
        // for three workers: time enough for this loop, on a busy machine too). The loop follows
        // the driver, however long a loaded machine makes it take to submit the array.
        let ledger = try await PostgresLedger(location: location)
        let slurm = SlurmClient()
        var cancelled: String?
        while cancelled == nil, driver.isRunning {
            let queued = try await slurm.queue().filter { $0.name.hasPrefix("sluice-") && $0.isLive }
            let done = (try? await ledger.tasks().filter { $0.state == .done }.count) ?? 0
            if done >= 2, let second = queued.first(where: { $0.id.hasSuffix("_1") }) {
                try await slurm.cancel([second.id])
                cancelled = second.id
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let status = await exitStatus(of: driver)
        let log = (try? String(contentsOfFile: folder.file("driver.log"), encoding: .utf8)) ?? ""
        #expect(cancelled != nil, "the second worker was never seen in the queue while work remained\n\(log)")
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
        var left = try await slurm.queue().filter { $0.name.hasPrefix("sluice-") && $0.isLive }
        while !left.isEmpty, ContinuousClock.now - ending < .seconds(30) {
            try await Task.sleep(for: .milliseconds(200))
            left = try await slurm.queue().filter { $0.name.hasPrefix("sluice-") && $0.isLive }
        }
        #expect(left.isEmpty, "\(left)")
        // Each worker, the cancelled one too (SIGTERM: it gave its task back), stopped on its own.
        let workers = try await ledger.workers()
        #expect(workers.count >= 2 && workers.allSatisfy { $0.stopped != nil }, "\(workers)")
        try await ledger.dropSchema()
        await ledger.close()
    }
}
