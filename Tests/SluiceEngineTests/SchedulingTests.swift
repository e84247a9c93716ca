import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Synchronization
import Testing

/// The runner schedules a stage by what it declares — per item, per batch, per group, or once
/// after every item (a barrier) — with a stage kind defined here, not in the engine.
@Suite struct SchedulingTests {
    private static let names = ["a", "b", "c", "d", "e"]

    private func run(_ stages: String) async throws -> (RunSummary, PipelineHarness) {
        var files: [String: Data] = [:]
        for name in Self.names { files["\(name).txt"] = Data("\(name)\n".utf8) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let items = Self.names.map { name in
            "  - {url: \"\(harness.server.url("\(name).txt"))\", name: \(name), group: \(name < "c" ? "early" : "late")}"
        }.joined(separator: "\n")
        let yaml = """
            workspace: ./work
            budget: {total: 10MB}
            items:
            \(items)
            stages:
              - fetch: {}
            \(stages)
            """
        let summary = try await harness.run(try harness.pipeline(yaml))
        return (summary, harness)
    }

    private func read(_ harness: PipelineHarness, _ path: String) throws -> String {
        try String(contentsOfFile: harness.folder.file("work/" + path), encoding: .utf8)
    }

    @Test func batchesCloseAtTheirCountAndTheLastOneWhenNoMoreCanArrive() async throws {
        let (summary, harness) = try await run("  - copy: {name: twos, batch: 2}")
        #expect(summary.done == 5)
        #expect(try read(harness, "output/a/twos/batch.txt") == "a b")
        #expect(try read(harness, "output/c/twos/batch.txt") == "c d")
        #expect(try read(harness, "output/e/twos/batch.txt") == "e")
        try await harness.stop()
    }

    @Test func groupsRunOncePerGroupWithTheMembersThatArrived() async throws {
        let (summary, harness) = try await run(
            """
              - copy: {name: each, fail: [d]}
              - copy: {name: merge, per: group}
            """)
        #expect(summary.done == 4)
        #expect(summary.failed == 1)
        #expect(try read(harness, "output/groups/early/merge/copy.txt") == "a\nb\n")
        #expect(try read(harness, "output/groups/late/merge/copy.txt") == "c\ne\n")
        try await harness.stop()
    }

    @Test func aBarrierRunsOnceAfterEveryItem() async throws {
        let (summary, harness) = try await run(
            """
              - copy: {name: each, fail: [b], flaky: [e], retries: 1}
              - copy: {name: everything, per: all}
              - copy: {name: after, from: each}
            """)
        #expect(summary.done == 4, "\(summary.items)")
        #expect(summary.failed == 1)
        // Once, with every member that reached it (the flaky one after its retry), in item order.
        #expect(try read(harness, "output/groups/all/everything/copy.txt") == "a\nc\nd\ne\n")
        #expect(try read(harness, "output/groups/all/everything/batch.txt") == "all")
        // The stage after the barrier ran for each member.
        #expect(try read(harness, "output/e/after/copy.txt") == "e\n")
        #expect(!FileManager.default.fileExists(atPath: harness.folder.file("work/output/b/after")))
        try await harness.stop()
    }

    /// A per-item stage's completion claims the stage's next task in the same call; when the run
    /// stops right after it (here: on the line that says the first fetch is done), that task is
    /// given back untouched — pending again, its attempt not counted, nothing of it on disk.
    @Test func aTaskClaimedWithACompletionIsGivenBackAtAStop() async throws {
        var files: [String: Data] = [:]
        for name in Self.names { files["\(name).txt"] = Data("\(name)\n".utf8) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let items = Self.names.map { "  - {url: \"\(harness.server.url("\($0).txt"))\", name: \($0)}" }.joined(separator: "\n")
        let path = try harness.pipeline(
            """
            workspace: ./work
            budget: {total: 10MB}
            items:
            \(items)
            stages:
              - fetch: {concurrency: 1}
              - copy: {}
            """)
        let runner = Mutex<PipelineRunner?>(nil)
        let session = try await PipelineSession(config: try harness.load(path)) { line in
            if line.hasPrefix("fetch a: done") { runner.withLock { $0 }?.requestStop() }
        }
        runner.withLock { $0 = session.runner }
        let summary = try await session.run()
        #expect(summary.done == 0)
        let tasks = try await session.runner.ledger.tasks()
        #expect(!tasks.contains { $0.state == .running }, "\(tasks.filter { $0.state == .running })")
        let second = try #require(tasks.first { $0.item == "b" && $0.stage == 0 })
        #expect(second.state == .pending && second.attempts == 0)
        let events = try await session.runner.ledger.events(after: 0, limit: 1_000)
        #expect(events.contains { $0.item == "b" && $0.kind == "claimed" } && events.contains { $0.item == "b" && $0.kind == "released" })
        #expect(!FileManager.default.fileExists(atPath: harness.folder.file("work/raw/b")))
        try await harness.stop()
    }
}
