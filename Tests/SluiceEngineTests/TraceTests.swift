import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// The run's trace (`logs/trace.tsv`): one row per task attempt with Nextflow's fields where
/// they apply, written by a monitor that can never hold the run up.
@Suite struct TraceTests {
    /// Every attempt has its row: completed fetches with the bytes they wrote, a download that
    /// failed twice and then succeeded with its attempts numbered, and a missing file failed with
    /// its error's code; what an in-process stage cannot measure is empty.
    @Test func everyAttemptHasItsRow() async throws {
        let files = ["a.bin": PipelineHarness.bytes(200_000, seed: 1), "b.bin": PipelineHarness.bytes(300_000, seed: 2)]
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let yaml = """
            workspace: ./work
            budget: {total: 100MB}
            items:
              - {name: a, url: "\(harness.server.url("a.bin"))"}
              - {name: flaky, url: "\(harness.server.url("fail/2/b.bin"))"}
              - {name: missing, url: "\(harness.server.url("status/404/none.bin"))"}
            stages:
              - fetch: {retries: 3}
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        #expect(summary.done == 2 && summary.failed == 1)
        let rows = try traceRows(harness.folder.file("work/logs/trace.tsv"))
        #expect(Set(rows.flatMap(\.keys)) == Set(TaskTrace.columns))
        #expect(rows.map { $0["task_id"] } == (1...rows.count).map { String($0) })
        let a = try #require(rows.first { $0["tag"] == "a" })
        #expect(a["status"] == "COMPLETED" && a["process"] == "fetch" && a["name"] == "fetch (a)" && a["attempt"] == "1")
        #expect(a["written_bytes"] == "200000" && a["area"] == "raw" && a["hostname"] == ProcessInfo.processInfo.hostName)
        #expect(Int(a["reserved_bytes"] ?? "") ?? 0 >= 200_000)
        for field in ["native_id", "exit", "%cpu", "peak_rss", "rchar", "wchar", "read_bytes", "write_bytes"] { #expect(a[field] == "", "\(field)") }
        let (submit, start, complete) = (Int(a["submit"]!)!, Int(a["start"]!)!, Int(a["complete"]!)!)
        #expect(submit <= start && start <= complete)
        #expect(Int(a["duration"]!) == complete - submit && Int(a["realtime"]!) == complete - start)
        #expect(Int(a["space_wait"]!) == start - submit)

        let flaky = rows.filter { $0["tag"] == "flaky" }
        #expect(flaky.map { $0["status"] } == ["FAILED", "FAILED", "COMPLETED"])
        #expect(flaky.map { $0["attempt"] } == ["1", "2", "3"])
        #expect(Set(flaky.map { $0["hash"] }).count == 1 && flaky[0]["hash"]?.count == 9)
        let missing = try #require(rows.first { $0["tag"] == "missing" })
        #expect(missing["status"] == "FAILED" && missing["error"]?.hasPrefix("fetch.") == true, "\(missing)")

        // A second run over the same workspace appends, numbering on.
        try await harness.stop()
        _ = try await harness.run(try harness.pipeline(yaml))
        let again = try traceRows(harness.folder.file("work/logs/trace.tsv"))
        #expect(again.map { $0["task_id"] } == (1...again.count).map { String($0) })
        #expect(again.count >= rows.count)
    }

    /// A trace whose file blocks every write (a FIFO nobody reads) neither stops nor holds up
    /// the run: rows beyond the queue's capacity are dropped and counted, and the run ends
    /// while the writer is still stuck.
    @Test func aBlockedTraceHoldsNothingUp() async throws {
        let folder = try TemporaryDirectory("sluice-trace")
        let fifo = folder.file("trace.tsv")
        #expect(mkfifo(fifo, 0o644) == 0)
        let monitor = RunMonitor(path: fifo, capacity: 5)
        monitor.start()
        let clock = ContinuousClock.now
        for index in 0..<100 {
            monitor.record(TaskTrace(stage: "s", item: "i\(index)", status: .completed, attempt: 1, submitted: 0, completed: 1, host: "h"))
        }
        #expect(ContinuousClock.now - clock < .seconds(1))
        // The writer took some rows before it blocked opening the file; the rest were dropped.
        #expect(monitor.dropped >= 100 - 5 - 5)
        #expect(await monitor.finish(waitingAtMost: 0.5) == false)
        // Let the stuck writer go: a reader opens the FIFO and drains it.
        let reader = FileHandle(forReadingAtPath: fifo)
        _ = reader?.availableData
        try? reader?.close()
    }

    /// In a whole run whose trace file cannot be written (a folder stands in its place), every
    /// item is still done, and the run says the rows were dropped.
    @Test func aTraceThatCannotBeWrittenDoesNotFailTheRun() async throws {
        let harness = try await PipelineHarness.start(files: ["a.bin": PipelineHarness.bytes(1000, seed: 1)], registry: .tests)
        try FileManager.default.createDirectory(atPath: harness.folder.file("work/logs/trace.tsv"), withIntermediateDirectories: true)
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
              - {name: a, url: "\(harness.server.url("a.bin"))"}
            stages:
              - fetch: {}
            """
        let lines = Mutex<[String]>([])
        let session = try await PipelineSession(config: try harness.load(try harness.pipeline(yaml)), onLine: { line in lines.withLock { $0.append(line) } })
        let summary = try await session.run()
        #expect(summary.done == 1)
        let said = lines.withLock { $0 }
        #expect(said.contains { $0.contains("trace row(s) were dropped") }, "\(said)")
        try await harness.stop()
    }
}
