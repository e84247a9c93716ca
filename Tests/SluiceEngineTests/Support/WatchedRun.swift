import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// The run the watching features (report, metrics) are checked on: three downloads (100, 200
/// and 300 kB, the last one slowly) through fetch and copy, and one that cannot succeed (HTTP
/// 404), under a 50 MB budget with a 20 MB quota on raw/.
struct WatchedRun {
    let harness: PipelineHarness
    let session: PipelineSession

    /// Runs it to its end; `prepare` is called with the session before it runs.
    static func run(prepare: (PipelineSession) -> Void = { _ in }) async throws -> WatchedRun {
        var files: [String: Data] = [:]
        for index in 1...3 { files["f\(index).bin"] = PipelineHarness.bytes(100_000 * index, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let yaml = """
            workspace: ./work
            budget: {total: 50MB, areas: {raw: 20MB}}
            items:
              - {name: a, url: "\(harness.server.url("f1.bin"))"}
              - {name: b, url: "\(harness.server.url("f2.bin"))"}
              - {name: c, url: "\(harness.server.url("slow/20/f3.bin"))"}
              - {name: gone, url: "\(harness.server.url("status/404/none.bin"))"}
            stages:
              - fetch: {}
              - copy: {}
            """
        let session = try await PipelineSession(config: try harness.load(try harness.pipeline(yaml)))
        prepare(session)
        let summary = try await session.run()
        #expect(summary.done == 3 && summary.failed == 1)
        return WatchedRun(harness: harness, session: session)
    }

    var workspace: Workspace { session.runner.workspace }
    var ledger: any Ledger { session.runner.ledger }
}
