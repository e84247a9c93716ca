import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// The inputs of items that fail for good never hold the budget hostage: evicted (oldest
/// failure first) when work would otherwise wait, deleted at once with `on_failure: delete`,
/// removed by `sluice clean`; and `retry` fetches an evicted item again.
@Suite struct FailedInputsTests {
    private static func names(_ count: Int) -> [String] { (0..<count).map { String(format: "item%02d", $0) } }

    private func harness(items count: Int, bytes: Int) async throws -> PipelineHarness {
        var files: [String: Data] = [:]
        for (index, name) in Self.names(count).enumerated() { files[name] = PipelineHarness.bytes(bytes, seed: UInt8(index)) }
        return try await PipelineHarness.start(files: files, registry: .tests)
    }

    private func yaml(_ harness: PipelineHarness, items count: Int, budget: Int64, onFailure: String, fail: [String]) -> String {
        let items = Self.names(count).map { "  - {url: \"\(harness.server.url($0))\", name: \($0)}" }.joined(separator: "\n")
        return """
            workspace: ./work
            budget: {total: \(budget)}
            on_failure: \(onFailure)
            items:
            \(items)
            stages:
              - fetch: {concurrency: 2}
              - copy: {name: digest, digest: true, reserve: 1kB, fail: [\(fail.joined(separator: ", "))]}
              - cleanup: {keep: [output]}
            """
    }

    private func events(_ harness: PipelineHarness, kind: String) async throws -> [LedgerEvent] {
        try await SQLiteLedger(path: harness.folder.file("work/sluice.db")).events(after: 0, limit: 1_000_000).filter { $0.kind == kind }
    }

    @Test func earlyFailuresDoNotStallARunUnderASmallBudget() async throws {
        // 30 items of 1 MB, 5 of which fail early, under a budget of about 4 items beyond the
        // slack the ledger and logs keep: the failures' downloads alone would fill it.
        let harness = try await harness(items: 30, bytes: 1_000_000)
        let budget: Int64 = Workspace.overheadSlack + 4_000_000 + 500_000
        let failing = Array(Self.names(30).prefix(5))
        let path = try harness.pipeline(yaml(harness, items: 30, budget: budget, onFailure: "evict", fail: failing))
        let workspace = harness.folder.file("work")
        let peak = Mutex<Int64>(0)
        let sampler = Task {
            while !Task.isCancelled {
                let used = DuMeasure.measure(workspace).bytes
                peak.withLock { $0 = max($0, used) }
                try? await Task.sleep(for: .milliseconds(50))
            }
        }
        let summary = try await harness.run(path)
        sampler.cancel()
        _ = await sampler.result
        #expect(summary.done == 25, "\(summary.items.filter { $0.state != .done })")
        #expect(summary.failed == 5)
        #expect(summary.items.filter { $0.state == .failed }.allSatisfy { $0.reason?.contains("fail list") == true })
        let evicted = try await events(harness, kind: "evicted")
        #expect(!evicted.isEmpty)
        #expect(Set(evicted.compactMap(\.item)).isSubset(of: Set(failing)))
        // Oldest failure first.
        let failedOrder = try await events(harness, kind: "failed").compactMap(\.item)
        #expect(evicted.compactMap(\.item) == Array(failedOrder.prefix(evicted.count)))
        let highest = peak.withLock { $0 }
        #expect(highest <= budget, "peak \(highest) bytes above the budget of \(budget)")
        try await harness.stop()
    }

    @Test func deletePolicyRemovesInputsAtOnceAndRetryFetchesAgain() async throws {
        let harness = try await harness(items: 3, bytes: 10_000)
        let path = try harness.pipeline(yaml(harness, items: 3, budget: 10_000_000, onFailure: "delete", fail: ["item01"]))
        let first = try await harness.run(path)
        #expect(first.done == 2)
        #expect(first.failed == 1)
        #expect(!FileManager.default.fileExists(atPath: harness.folder.file("work/raw/item01")))
        #expect(try await events(harness, kind: "evicted").map(\.item) == ["item01"])

        let ledger = try SQLiteLedger(path: harness.folder.file("work/sluice.db"))
        #expect(try await ledger.retry(items: ["item01"], now: Date().timeIntervalSince1970) == 1)
        // Its inputs are gone, so it starts again from the fetch.
        let states = try await ledger.tasks().filter { $0.item == "item01" }.map(\.state)
        #expect(states == [.pending, .waiting, .waiting])
        let again = try harness.pipeline(yaml(harness, items: 3, budget: 10_000_000, onFailure: "delete", fail: []), name: "again.yaml")
        let second = try await harness.run(again)
        #expect(second.done == 3)
        #expect(FileManager.default.fileExists(atPath: harness.folder.file("work/output/item01/digest/copy.txt")))
        try await harness.stop()
    }

    @Test func keepPolicyKeepsInputsUntilClean() async throws {
        let harness = try await harness(items: 3, bytes: 10_000)
        let path = try harness.pipeline(yaml(harness, items: 3, budget: 10_000_000, onFailure: "keep", fail: ["item02"]))
        let summary = try await harness.run(path)
        #expect(summary.failed == 1)
        let raw = harness.folder.file("work/raw/item02")
        #expect(DiskUsage.contentBytes(at: raw) == 10_000)
        #expect(try await events(harness, kind: "evicted").isEmpty)

        let workspace = Workspace(root: harness.folder.file("work"))
        let ledger = try SQLiteLedger(path: workspace.ledgerPath)
        let planned = try await WorkspaceCleaner(workspace: workspace, ledger: ledger).clean(dryRun: true)
        #expect(planned.map(\.path) == [raw])
        #expect(FileManager.default.fileExists(atPath: raw))
        _ = try await WorkspaceCleaner(workspace: workspace, ledger: ledger).clean(dryRun: false)
        #expect(!FileManager.default.fileExists(atPath: raw))
        #expect(try await events(harness, kind: "evicted").map(\.item) == ["item02"])
        try await harness.stop()
    }
}
