import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// Items totalling five times the budget run to completion while the workspace, sampled every
/// 50 ms, never holds more than the budget; downloads running ahead never take the room an
/// item fetched before them needs to be processed.
@Suite struct BudgetBoundTests {
    /// A large item waits, fetched, for the busy stage after it while small items are fetched
    /// behind it. Each small download keeps room free for its own small item only: without the
    /// large item's room promised to it, the small ones would fill the budget and the large one
    /// would wait for ever (then fail: "waited 10 s … no work in flight"). Every item is done.
    @Test func downloadsRunningAheadLeaveAFetchedItemItsRoom() async throws {
        let (harness, path, count) = try await Self.bigAmongSmall()
        let summary = try await harness.run(path)
        #expect(summary.done == count, "\(summary.items.filter { $0.state != .done }.map { "\($0.item): \($0.reason ?? "")" })")
        try await harness.stop()
    }

    /// The same after a restart: the run is stopped once the large item is fetched, and the
    /// next run promises its room to it (and to every item fetched before it started) before
    /// its own downloads begin.
    @Test func aResumedRunLeavesItemsFetchedBeforeItTheirRoom() async throws {
        let (harness, path, count) = try await Self.bigAmongSmall()
        let fetched = harness.folder.file("work/raw/big")
        let stopped = try await Self.runUntil(path, harness: harness) { FileManager.default.fileExists(atPath: fetched) }
        #expect(stopped.done < count && FileManager.default.fileExists(atPath: fetched), "the first run was not stopped in time")
        let summary = try await harness.run(path)
        #expect(summary.done == count, "\(summary.items.filter { $0.state != .done }.map { "\($0.item): \($0.reason ?? "")" })")
        try await harness.stop()
    }

    /// Runs the pipeline at `path` and asks it to stop once `reached` (looked at every 5 ms);
    /// its session (and its hold on the workspace) is gone when this returns.
    static func runUntil(_ path: String, harness: PipelineHarness, _ reached: @escaping @Sendable () -> Bool) async throws -> RunSummary {
        let session = try await PipelineSession(config: try harness.load(path))
        let watcher = Task { [runner = session.runner] in
            while !reached() { try await Task.sleep(for: .milliseconds(5)) }
            runner.requestStop()
        }
        let summary = try await session.run()
        watcher.cancel()
        _ = await watcher.result
        return summary
    }

    /// A 250 kB item second among twelve of 40 kB, fetched two at a time into a budget with
    /// room for the large one and a few small ones, and copied one at a time, a second each:
    /// the harness, the pipeline file and the number of items.
    static func bigAmongSmall() async throws -> (PipelineHarness, String, Int) {
        var files: [String: Data] = ["big": PipelineHarness.bytes(250_000, seed: 1)]
        let small = (0..<12).map { String(format: "s%02d", $0) }
        for (index, name) in small.enumerated() { files[name] = PipelineHarness.bytes(40_000, seed: UInt8(index + 2)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let names = [small[0], "big"] + small.dropFirst()
        let items = names.map { "  - {name: \($0), url: \"\(harness.server.url($0))\"}" }.joined(separator: "\n")
        let yaml = """
            workspace: ./work
            budget: {total: \(Workspace.overheadSlack + 900_000)}
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2}
              - copy: {name: keep, sleep: 1, concurrency: 1}
              - cleanup: {keep: []}
            """
        return (harness, try harness.pipeline(yaml), names.count)
    }

    @Test func usageNeverExceedsTheBudget() async throws {
        var files: [String: Data] = [:]
        for index in 0..<20 { files["item\(index).bin"] = PipelineHarness.bytes(2_000_000, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let budget: Int64 = 8_000_000
        let items = (0..<20).map { "  - {url: \"\(harness.server.url("slow/2/item\($0).bin"))\"}" }.joined(separator: "\n")
        let yaml = """
            workspace: ./work
            budget: {total: \(budget)}
            items:
            \(items)
            stages:
              - fetch: {concurrency: 3}
              - copy: {name: digest, digest: true, reserve: 4kB, concurrency: 2}
              - cleanup: {keep: [output]}
            """
        let path = try harness.pipeline(yaml)
        let workspace = harness.folder.file("work")
        let peak = Mutex<Int64>(0)
        let samples = Mutex(0)
        let sampler = Task {
            while !Task.isCancelled {
                let used = DuMeasure.measure(workspace).bytes
                peak.withLock { $0 = max($0, used) }
                samples.withLock { $0 += 1 }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let summary = try await harness.run(path)
        sampler.cancel()
        _ = await sampler.result
        #expect(summary.done == 20, "\(summary.items.filter { $0.state != .done })")
        let highest = peak.withLock { $0 }
        #expect(highest <= budget, "peak \(highest) bytes above the budget of \(budget)")
        // The run did hold several items at once: more than one item's worth of bytes.
        #expect(highest > 2_000_000)
        #expect(samples.withLock { $0 } > 10)
        // Inputs are gone, outputs stay.
        #expect(DiskUsage.contentBytes(at: workspace + "/raw") == 0)
        #expect(FileManager.default.fileExists(atPath: workspace + "/output/item7.bin/digest/copy.txt"))
        try await harness.stop()
    }
}
