import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// The run's Prometheus metrics, written as a textfile (`--metrics-file`): the run's real counts.
@Suite struct MetricsTests {
    @Test func theMetricsFileHoldsTheRunsCounts() async throws {
        var path = ""
        let run = try await WatchedRun.run { session in
            path = session.runner.workspace.root + "/../sluice.prom"
            session.runner.monitor.writeMetrics(to: path)
        }
        let lines = Set(try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init))
        for line in [
            "sluice_tasks{stage=\"fetch\",state=\"done\"} 3.0",
            "sluice_tasks{stage=\"fetch\",state=\"failed\"} 1.0",
            "sluice_tasks{stage=\"copy\",state=\"done\"} 3.0",
            "sluice_tasks{stage=\"copy\",state=\"blocked\"} 1.0",
            "sluice_attempts_total{stage=\"fetch\",status=\"COMPLETED\"} 3",
            "sluice_attempts_total{stage=\"fetch\",status=\"FAILED\"} 1",
            "sluice_failures_total{stage=\"fetch\",code=\"fetch.http-404\"} 1",
            "sluice_written_bytes_total{stage=\"fetch\"} 600000",
            "sluice_budget_bytes 50000000.0",
            "sluice_area_quota_bytes{area=\"raw\"} 20000000.0",
            "sluice_task_duration_seconds_count{stage=\"fetch\"} 3",
            "sluice_trace_rows_dropped 0.0",
        ] {
            #expect(lines.contains(line), "\(line)")
        }
        #expect(lines.contains("# TYPE sluice_task_duration_seconds histogram"))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
        try await run.harness.stop()
    }
}
