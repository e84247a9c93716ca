import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// A fault-injecting loopback server: transient faults are retried to success, permanent ones
/// fail only their item, each with one clear sentence.
@Suite struct NetworkFaultTests {
    @Test func transientFaultsRetryPermanentOnesFailTheirItem() async throws {
        var files: [String: Data] = [:]
        for index in 1...8 { files["f\(index).bin"] = PipelineHarness.bytes(300_000 + index * 1_000, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let wrong = String(repeating: "0", count: 64)
        let right = PipelineHarness.sha256(files["f1.bin"]!)
        let yaml = """
            workspace: ./work
            budget: {total: 100MB}
            items:
              - {name: plain, url: "\(harness.server.url("f1.bin"))", sha256: \(right)}
              - {name: flaky, url: "\(harness.server.url("fail/1/f2.bin"))"}
              - {name: reset, url: "\(harness.server.url("reset/1/f3.bin"))"}
              - {name: slow, url: "\(harness.server.url("slow/5/f4.bin"))"}
              - {name: moved, url: "\(harness.server.url("redirect/f5.bin"))"}
              - {name: truncated, url: "\(harness.server.url("truncate/f6.bin"))"}
              - {name: missing, url: "\(harness.server.url("status/404/nothing.bin"))"}
              - {name: corrupt, url: "\(harness.server.url("f7.bin"))", sha256: \(wrong)}
              - {name: hung, url: "\(harness.server.url("hang/f8.bin"))"}
            stages:
              - fetch: {concurrency: 4, retries: 2, timeout: 15s}
            """
        // The idle timeout is long enough that a machine busy with other tests, which can stall
        // a read for seconds, does not time out the healthy downloads.
        let summary = try await harness.run(try harness.pipeline(yaml))
        let outcome = Dictionary(uniqueKeysWithValues: summary.items.map { ($0.item, $0) })
        for name in ["plain", "flaky", "reset", "slow", "moved"] {
            #expect(outcome[name]?.state == .done, "\(name): \(outcome[name]?.reason ?? "")")
        }
        // Fetched bytes equal the served files, resumed or not.
        for (name, file) in [("plain", "f1.bin"), ("flaky", "f2.bin"), ("reset", "f3.bin"), ("slow", "f4.bin"), ("moved", "f5.bin")] {
            let fetched = try Data(contentsOf: URL(fileURLWithPath: harness.folder.file("work/raw/\(name)/\(file)")))
            #expect(fetched == files[file], "\(name)")
        }
        // Each attempt is one request: the flaky and the reset downloads were retried until they
        // came whole, and a machine busy with other tests may time out one more attempt (a 500
        // once, then two retries allowed: one to spare), which the ledger records as a retry
        // like any other.
        let ledger = try SQLiteLedger(path: harness.folder.file("work/sluice.db"))
        let retries = Dictionary(grouping: try await ledger.events(after: 0, limit: 10_000).filter { $0.kind == "retrying" }, by: { $0.item ?? "" }).mapValues(\.count)
        #expect(retries["flaky", default: 0] >= 1)
        #expect(harness.server.requestCount("/fail/1/f2.bin") == 1 + retries["flaky", default: 0], "\(retries)")
        #expect(retries["reset", default: 0] >= 1)
        #expect(harness.server.requestCount("/reset/1/f3.bin") == 1 + retries["reset", default: 0], "\(retries)")

        #expect(outcome["truncated"]?.state == .failed)
        #expect(outcome["truncated"]?.reason?.contains("the connection ended after") == true || outcome["truncated"]?.reason?.contains("connection failed") == true)
        #expect(harness.server.requestCount("/truncate/f6.bin") == 3)
        #expect(outcome["missing"]?.state == .failed)
        #expect(outcome["missing"]?.reason?.contains("answered HTTP 404") == true)
        #expect(harness.server.requestCount("/status/404/nothing.bin") == 1)
        #expect(outcome["corrupt"]?.state == .failed)
        #expect(outcome["corrupt"]?.reason?.contains("but the manifest says \(wrong)") == true)
        #expect(outcome["hung"]?.state == .failed)
        #expect(outcome["hung"]?.reason?.contains("timed out") == true)
        for reason in summary.items.compactMap(\.reason) { #expect(!reason.contains("\n")) }
        // Failed fetches leave no partial downloads that are not resumable work.
        #expect(!FileManager.default.fileExists(atPath: harness.folder.file("work/raw/missing")))
        try await harness.stop()
    }

    /// A download cut off mid-body keeps its partial file to resume, and the budget's books keep
    /// counting those bytes in between: after the run they equal what the disk holds.
    @Test func resumedDownloadKeepsTheBooksTrue() async throws {
        let files = ["a.bin": PipelineHarness.bytes(400_000, seed: 1), "b.bin": PipelineHarness.bytes(600_000, seed: 2)]
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let yaml = """
            workspace: ./work
            budget: {total: 100MB}
            items:
              - {name: a, url: "\(harness.server.url("a.bin"))"}
              - {name: b, url: "\(harness.server.url("reset/1/b.bin"))"}
            stages:
              - fetch: {concurrency: 1, retries: 2}
            """
        let session = try await PipelineSession(config: try harness.load(try harness.pipeline(yaml)))
        let summary = try await session.run()
        #expect(summary.items.allSatisfy { $0.state == .done })
        #expect(harness.server.requestCount("/reset/1/b.bin") == 2)
        let books = await session.runner.budget.snapshot
        #expect(DiskUsage.contentBytes(at: session.runner.workspace.folder(.raw)) == 1_000_000)
        // Allocated blocks, the files' and the folders', as du counts them.
        #expect(books.committed[.raw] == session.runner.workspace.usage().bytes[.raw])
        #expect(books.committed[.raw]! > 1_000_000)
        #expect(books.reserved.values.allSatisfy { $0 == 0 })
        try await harness.stop()
    }
}
