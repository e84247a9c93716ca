import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// The run's Prometheus metrics, written as a textfile (`--metrics-file`): the run's real counts.
@Suite struct MetricsTests {
    @Test func theMetricsFileHoldsTheRunsCounts() async throws {
        let files = ["a.bin": PipelineHarness.bytes(100_000, seed: 1), "b.bin": PipelineHarness.bytes(200_000, seed: 2)]
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let yaml = """
            workspace: ./work
            budget: {total: 50MB, areas: {raw: 10MB}}
            items:
              - {name: a, url: "\(harness.server.url("a.bin"))"}
              - {name: b, url: "\(harness.server.url("b.bin"))"}
              - {name: gone, url: "\(harness.server.url("status/404/none.bin"))"}
            stages:
              - fetch: {}
            """
        let session = try await PipelineSession(config: try harness.load(try harness.pipeline(yaml)))
        let path = harness.folder.file("sluice.prom")
        session.runner.monitor.writeMetrics(to: path)
        let summary = try await session.run()
        #expect(summary.done == 2 && summary.failed == 1)
        let lines = Set(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init))
        for line in [
            "sluice_tasks{stage=\"fetch\",state=\"done\"} 2.0",
            "sluice_tasks{stage=\"fetch\",state=\"failed\"} 1.0",
            "sluice_attempts_total{stage=\"fetch\",status=\"COMPLETED\"} 2",
            "sluice_attempts_total{stage=\"fetch\",status=\"FAILED\"} 1",
            "sluice_failures_total{stage=\"fetch\",code=\"fetch.http-404\"} 1",
            "sluice_written_bytes_total{stage=\"fetch\"} 300000",
            "sluice_budget_bytes 50000000.0",
            "sluice_area_quota_bytes{area=\"raw\"} 10000000.0",
            "sluice_task_duration_seconds_count{stage=\"fetch\"} 2",
            "sluice_trace_rows_dropped 0.0",
        ] {
            #expect(lines.contains(line), "\(line)")
        }
        #expect(lines.contains("# TYPE sluice_task_duration_seconds histogram"))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        try await harness.stop()
    }
}
