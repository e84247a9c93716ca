import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// `sluice plan`'s engine part: items resolve to their bytes without being fetched (declared,
/// a local file's length, an HTTP HEAD), each is weighed against the quotas as the runner
/// reserves, an item that can never fit is named with the quota it exceeds, and an earlier run
/// in the workspace gives each stage's throughput and an estimated time.
@Suite struct PipelinePlanTests {
    @Test func itemsAreWeighedAgainstTheBudgetAndAnEarlierRunGivesTheTime() async throws {
        let harness = try await PipelineHarness.start(
            files: ["a.bin": PipelineHarness.bytes(100_000, seed: 1), "b.bin": PipelineHarness.bytes(300_000, seed: 2)], registry: .tests)
        let local = harness.folder.file("local.bin")
        try PipelineHarness.bytes(50_000, seed: 3).write(to: URL(fileURLWithPath: local))
        func yaml(_ items: [String]) -> String {
            """
            workspace: ./work
            budget: {total: 4MB, areas: {raw: 1MB, output: 2MB}}
            items:
            \(items.map { "  - " + $0 }.joined(separator: "\n"))
            stages:
              - fetch: {}
              - copy: {}
            """
        }
        let a = "{url: \"\(harness.server.url("a.bin"))\", name: a}"
        let b = "{url: \"\(harness.server.url("b.bin"))\", name: b}"
        let huge = "{url: \"\(harness.server.url("huge.bin"))\", name: huge, size: 5MB}"
        let missing = "{url: \"\(harness.server.url("missing.bin"))\", name: missing}"
        // Fits raw and output, but not the total beside the ledger's 2 MiB and its later room.
        let wide = "{url: \"\(harness.server.url("wide.bin"))\", name: wide, size: 950kB}"
        let file = "{url: \"\(local)\", name: file}"
        let planned = try harness.pipeline(yaml([a, b, huge, missing, file, wide]))
        var config = try harness.load(planned)
        let fetch = try #require(config.stages.first as? FetchStage)
        var bytes: [String: Int64] = [:]
        for item in config.items { bytes[item.name] = await fetch.sourceBytes(of: item) }
        await fetch.shutdown()
        #expect(bytes == ["a": 100_000, "b": 300_000, "huge": 5_000_000, "file": 50_000, "wide": 950_000])
        var plan = PipelinePlan.make(config: config, bytes: bytes)
        #expect(plan.totalBytes == 6_400_000 && plan.unknownSizes == 1)
        let byName = Dictionary(uniqueKeysWithValues: plan.items.map { ($0.name, $0) })
        // The room of a download and of the copy (an output as large as its input), as reserved.
        #expect(byName["b"]!.room["raw"]! >= 300_000 && byName["b"]!.room["output"]! >= 300_000)
        #expect(byName["a"]!.neverFits == nil && byName["b"]!.neverFits == nil && byName["missing"]!.bytes == nil)
        let reason = try #require(byName["huge"]!.neverFits)
        #expect(reason.contains("raw") && reason.contains("quota"), "\(reason)")
        let total = try #require(byName["wide"]!.neverFits)
        #expect(total.contains("budget.total") && total.contains("ledger"), "\(total)")
        #expect(plan.stages.isEmpty && plan.estimatedSeconds == nil)

        // An earlier run of the items that fit, in the same workspace: each stage's throughput.
        let earlier = try harness.pipeline(yaml([a, b, file]), name: "earlier.yaml")
        let summary = try await harness.run(earlier)
        #expect(summary.done == 3, "\(summary.items.map { "\($0.item): \($0.reason ?? "")" })")
        config = try harness.load(planned)
        let ledger = try await config.ledger.open(workspace: Workspace(root: config.workspace))
        plan = PipelinePlan.make(config: config, bytes: bytes, history: try await ledger.tasks(), stageNames: try await ledger.stageNames())
        #expect(plan.stages.map(\.stage) == ["fetch", "copy"])
        for stage in plan.stages {
            #expect(stage.measuredTasks == 3)
            let rate = try #require(stage.bytesPerSecond)
            #expect(rate > 0 && abs(stage.seconds - Double(plan.totalBytes) / rate) < 1e-6 * stage.seconds)
        }
        #expect(plan.estimatedSeconds == plan.stages.map(\.seconds).max())
        #expect(abs(plan.serialSeconds! - plan.stages.reduce(0) { $0 + $1.seconds }) < 1e-9)
        try await harness.stop()
    }
}
