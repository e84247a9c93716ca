import Foundation
import SluicePipelines
import SluiceTestSupport
import Testing

/// What `sacct` says of a job that left the queue, as the `slurm` stage reports it with the job's
/// failure: on a cluster that keeps accounting (`make test` starts slurmdbd and MariaDB), a job
/// that failed and one that was cancelled, read back with their states and exit codes; without
/// accounting, nothing — `sacct`'s refusal is not an error.
@Suite(.serialized, .enabled(if: SlurmTestCluster.runs, "skipped: no SLURM"))
struct SlurmAccountingTests {
    /// Whether the cluster keeps accounting; `make test` (and so CI) always starts it with.
    static var keepsAccounting: Bool { ProcessInfo.processInfo.environment["SLUICE_TEST_SLURM_ACCOUNTING"] != nil }

    /// Submits a job running `body` and waits until it left the queue (cancelled first, when
    /// `cancel` is set); returns its id.
    static func finishedJob(_ body: String, cancel: Bool, in folder: TemporaryDirectory) async throws -> String {
        let script = folder.file("job.sh")
        try "#!/bin/sh\n\(body)\n".write(toFile: script, atomically: true, encoding: .utf8)
        let slurm = SlurmClient()
        let id = try await slurm.submit(
            script: script, options: ["--job-name=sluice-accounting-test", "--output=/dev/null", "--chdir=\(folder.path)", "--time=5"])
        if cancel { try await slurm.cancel([id]) }
        // Other tests' jobs may hold the one node's CPUs for a while.
        for _ in 0..<1_500 {
            if try await !slurm.queue().contains(where: { $0.id == id || $0.arrayID == id }) { return id }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("job \(id) is still in the queue after five minutes")
        return id
    }

    /// `sacct`'s answer once slurmdbd has it (it records a job's end a moment after it ends).
    static func accounting(of id: String, until done: (String) -> Bool) async throws -> (state: String, exitCode: Int32)? {
        var last: (state: String, exitCode: Int32)?
        for _ in 0..<300 {
            last = await SlurmClient().accounting(of: id)
            if let last, done(last.state) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        return last
    }

    @Test func aFailedAndACancelledJobAreReadBackFromAccounting() async throws {
        #expect(
            Self.keepsAccounting || ProcessInfo.processInfo.environment["CI"] == nil,
            "CI runs SLURM with accounting (SLURM_ACCOUNTING=1 in the Makefile)")
        let folder = try TemporaryDirectory("sluice-sacct")
        let failed = try await Self.finishedJob("exit 3", cancel: false, in: folder)
        let cancelled = try await Self.finishedJob("sleep 120", cancel: true, in: folder)
        guard Self.keepsAccounting else {
            // Accounting disabled: sacct refuses, and the answer is "nothing known", not an error.
            #expect(await SlurmClient().accounting(of: failed) == nil)
            return
        }
        let failure = try #require(try await Self.accounting(of: failed) { $0 == "FAILED" })
        #expect(failure.state == "FAILED" && failure.exitCode == 3, "\(failure)")
        let cancellation = try #require(try await Self.accounting(of: cancelled) { $0 == "CANCELLED" })
        #expect(cancellation.state == "CANCELLED", "\(cancellation)")
    }
}
