import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// Small items cost whole blocks and inodes: the budget counts allocated bytes (what `du` and
/// quotas count) and, when asked, files; per-item logs do not pile up; and when the ledger and
/// logs alone crowd out the work, the run stops once with a sentence that says so.
@Suite struct SmallItemsBudgetTests {
    private func start(_ count: Int = 150) async throws -> PipelineHarness {
        var files: [String: Data] = [:]
        for index in 0..<count { files[String(format: "s%03d", index)] = PipelineHarness.bytes(100, seed: UInt8(index % 256)) }
        return try await PipelineHarness.start(files: files, registry: .tests)
    }

    private func yaml(_ harness: PipelineHarness, count: Int = 150, budget: String, copy: String = "{name: keep, area: checkpoints, reserve: 5kB}") -> String {
        let items = (0..<count).map { String(format: "  - {url: \"\(harness.server.url("s%03d"))\"}", $0) }.joined(separator: "\n")
        return """
            workspace: ./work
            budget: \(budget)
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2}
              - copy: \(copy)
              - cleanup: {keep: []}
            """
    }

    /// Samples the workspace every 50 ms while `body` runs: the highest allocated bytes of the
    /// whole workspace and of one folder, and the most entries.
    private func sampling(_ root: String, folder: String, _ body: () async throws -> RunSummary) async throws
        -> (summary: RunSummary, bytes: Int64, folderBytes: Int64, entries: Int)
    {
        let peak = Mutex<(Int64, Int64, Int)>((0, 0, 0))
        let sampler = Task {
            while !Task.isCancelled {
                let whole = DuMeasure.measure(root)
                let part = DuMeasure.measure(folder).bytes
                peak.withLock { $0 = (max($0.0, whole.bytes), max($0.1, part), max($0.2, whole.entries)) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let summary = try await body()
        sampler.cancel()
        _ = await sampler.result
        let (bytes, folderBytes, entries) = peak.withLock { $0 }
        return (summary, bytes, folderBytes, entries)
    }

    @Test func allocatedBytesStayWithinTheTotalAndAnAreaQuota() async throws {
        let harness = try await start(400)
        // 4 MB beside the slack, for the data and the ledger: the ledger grows by about 1.5 kB
        // an item, and its write-ahead log, cut back to 1 MiB at each checkpoint, grows past that
        // when a checkpoint cannot finish while readers hold older snapshots — on a loaded machine
        // (the whole suite at once) a 2 MB allowance was once outgrown and the run stopped, rightly,
        // for lack of room beside the ledger (CI, 2026-12-07). The data never has room for more than
        // a fraction of the 400 items (8 KiB each in raw/, 16 KiB in checkpoints/).
        let total = Workspace.overheadSlack + 4_000_000
        let path = try harness.pipeline(
            yaml(
                harness, count: 400, budget: "{total: \(total), areas: {checkpoints: 48kB}}",
                copy: "{name: keep, area: checkpoints, reserve: 5kB, concurrency: 3, sleep: 0.02}"))
        let work = harness.folder.file("work")
        let run = try await sampling(work, folder: work + "/checkpoints") { try await harness.run(path) }
        #expect(run.summary.done == 400, "\(run.summary.items.filter { $0.state != .done }.prefix(3))")
        // 100-byte items take 8 KiB each in raw/ (a block and a folder) and 16 KiB in checkpoints/:
        // counting their lengths, the budget would have let far more in at once.
        #expect(run.bytes <= total, "du peaked at \(run.bytes) bytes, above the budget of \(total)")
        #expect(run.folderBytes <= 48_000, "checkpoints/ peaked at \(run.folderBytes) bytes, above its quota")
        #expect(run.folderBytes > 16_384, "checkpoints/ held at most one item at a time")
        // Finished items' logs joined the run's logs: no per-item folders are left.
        let left = try FileManager.default.contentsOfDirectory(atPath: work + "/logs").filter { !$0.hasPrefix("pipeline.") && $0 != "trace.tsv" && $0 != "items" }
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: work + "/logs/items")) ?? []).isEmpty)
        #expect(left.isEmpty, "\(left.prefix(5))")
        try await harness.stop()
    }

    @Test func aFileBudgetBoundsFilesAndFolders() async throws {
        let harness = try await start()
        // Room for the workspace's own entries, the logs' slack, and a few items in flight.
        let bound = 12 + Workspace.overheadEntrySlack + 40
        let path = try harness.pipeline(yaml(harness, budget: "{total: 50MB, files: \(bound)}", copy: "{name: keep, sleep: 0.01}"))
        let work = harness.folder.file("work")
        let run = try await sampling(work, folder: work + "/raw") { try await harness.run(path) }
        #expect(run.summary.done == 150, "\(run.summary.items.filter { $0.state != .done }.prefix(3))")
        #expect(run.entries <= bound, "the workspace held \(run.entries) files and folders, above budget.files = \(bound)")
        // Fetching outruns the copy: unbounded, raw/ alone would hold most of the 150 items (2 entries each).
        #expect(run.entries > 12 + 10, "it never held more than a few items at once")
        try await harness.stop()
    }

    @Test func overheadThatCrowdsOutTheWorkStopsTheRunOnce() async throws {
        let harness = try await start()
        let path = try harness.pipeline(yaml(harness, budget: "{total: 4MiB}", copy: "{name: keep, sleep: 0.1}"))
        let work = harness.folder.file("work")
        // A log that grows past what the budget leaves for data, as a ledger of hundreds of
        // thousands of items would.
        let filler = Task {
            // Once the run is under way (the first item fetched), not before it starts.
            while !FileManager.default.fileExists(atPath: work + "/logs/pipeline.log")
                || ((try? FileManager.default.contentsOfDirectory(atPath: work + "/raw")) ?? []).isEmpty
            {
                try await Task.sleep(for: .milliseconds(20))
            }
            try Data(count: 3 << 20).write(to: URL(fileURLWithPath: work + "/logs/huge.log"))
        }
        let error = await #expect(throws: BudgetError.self) { try await harness.run(path) }
        _ = try await filler.value
        #expect(error?.code == .overheadFull)
        #expect(error?.message.contains("the ledger and logs take") == true, "\(error?.message ?? "")")
        // No item failed for it: work in flight was given back, the rest never started.
        let tasks = try await SQLiteLedger(path: work + "/sluice.db").tasks()
        #expect(!tasks.contains { $0.state == .failed })
        #expect(tasks.contains { $0.state != .done })
        try await harness.stop()
    }
}

/// The books hold what the disk holds, also when a committed output is taken by the next stage
/// at once: a batch commits its units one by one, and its first unit's output may be read and
/// deleted as that stage's input (its bytes returned to the books) while the rest still commit.
@Suite struct BooksMatchTheDiskTests {
    @Test func theBooksEqualTheDiskAtTheEndOfARun() async throws {
        var files: [String: Data] = [:]
        for index in 0..<48 { files[String(format: "s%03d", index)] = PipelineHarness.bytes(20_000, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let items = (0..<48).map { String(format: "  - {url: \"\(harness.server.url("s%03d"))\"}", $0) }.joined(separator: "\n")
        // Failed items keep their inputs (interim/), so the books must still count them at the end.
        let path = try harness.pipeline(
            """
            workspace: ./work
            budget: {total: 200MB}
            on_failure: keep
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2}
              - copy: {name: keep, area: interim, batch: 8}
              - copy: {name: check, concurrency: 2, fail: [s003, s020, s041]}
              - cleanup: {keep: [output]}
            """)
        let session = try await PipelineSession(config: try harness.load(path))
        let summary = try await session.run()
        #expect(summary.done == 45 && summary.failed == 3)
        let books = await session.runner.budget.snapshot
        let disk = session.runner.workspace.usage().bytes
        for area in Area.allCases {
            #expect(books.reserved[area, default: 0] == 0, "\(area) still has bytes reserved")
            #expect(books.committed[area, default: 0] == disk[area, default: 0], "\(area): the books hold \(books.committed[area, default: 0]) bytes, the disk \(disk[area, default: 0])")
        }
        #expect(disk[.interim, default: 0] > 3 * 20_000, "the failed items' inputs are gone")
        try await harness.stop()
    }
}
