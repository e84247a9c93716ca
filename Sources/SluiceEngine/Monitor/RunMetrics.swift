import Foundation
import Prometheus

/// A runner's metrics in Prometheus's text format (swift-prometheus, with a registry of its own:
/// nothing global): tasks per stage and state, bytes committed and reserved per area with their
/// quotas and the budget, task attempts and their durations per stage, failures by error code,
/// bytes each stage wrote (a fetch stage's rate is its download throughput) and trace rows
/// dropped. Attempts are counted as the trace records them; the rest is refreshed from the
/// ledger and the budget's books every second.
public final class RunMetrics: Sendable {
    private let registry = PrometheusCollectorRegistry()

    /// Upper bounds of the task-duration histogram's buckets, seconds.
    static let durationBuckets: [Double] = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600]

    public init() {}

    /// Counts one ended attempt.
    func note(_ trace: TaskTrace) {
        registry.makeCounter(
            descriptor: Self.name("attempts", "total", "Task attempts that ended, by stage and status (COMPLETED, FAILED, ABORTED)."),
            labels: [("stage", trace.stage), ("status", trace.status.rawValue)]
        ).increment()
        if let error = trace.error, trace.status == .failed {
            registry.makeCounter(
                descriptor: Self.name("failures", "total", "Failed task attempts by stage and error code."), labels: [("stage", trace.stage), ("code", error)]
            ).increment()
        }
        if trace.status == .completed {
            registry.makeValueHistogram(
                descriptor: Self.name("task_duration", "seconds", "Seconds completed attempts ran, from their space granted to their end."),
                labels: [("stage", trace.stage)], buckets: Self.durationBuckets
            ).record(trace.completed - (trace.started ?? trace.submitted))
            registry.makeCounter(
                descriptor: Self.name("written", "bytes_total", "Bytes committed by completed attempts, by stage (a fetch stage's rate is its download throughput)."),
                labels: [("stage", trace.stage)]
            ).increment(by: trace.written ?? 0)
        }
    }

    /// Sets the gauges: tasks per stage and state, and the budget's books.
    func refresh(tasks: [String: [TaskState: Int]], books: BudgetSnapshot, droppedTraceRows: Int) {
        for (stage, counts) in tasks {
            for state in TaskState.allCases {
                registry.makeGauge(descriptor: Self.name("tasks", "", "Tasks by stage and state."), labels: [("stage", stage), ("state", state.rawValue)])
                    .set(Int64(counts[state] ?? 0))
            }
        }
        for area in Area.allCases {
            let labels = [("area", area.rawValue)]
            registry.makeGauge(descriptor: Self.name("area_committed", "bytes", "Bytes committed in an area, as this runner's books say."), labels: labels)
                .set(books.committed[area] ?? 0)
            registry.makeGauge(descriptor: Self.name("area_reserved", "bytes", "Bytes reserved in an area for writers at work."), labels: labels)
                .set(books.reserved[area] ?? 0)
            if let quota = books.limits.areas[area] {
                registry.makeGauge(descriptor: Self.name("area_quota", "bytes", "An area's quota."), labels: labels).set(quota)
            }
        }
        registry.makeGauge(descriptor: Self.name("budget", "bytes", "The workspace's total budget.")).set(books.limits.total)
        registry.makeGauge(descriptor: Self.name("overhead", "bytes", "Bytes the ledger and the logs hold.")).set(books.overhead)
        registry.makeGauge(descriptor: Self.name("waiting_for_space", "", "Reservations waiting for room in the budget.")).set(Int64(books.waiting))
        registry.makeGauge(descriptor: Self.name("trace_rows_dropped", "", "Trace rows dropped because the trace fell behind.")).set(Int64(droppedTraceRows))
    }

    /// The metrics in Prometheus's text exposition format.
    public func text() -> String { registry.emitToString() }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sluice", metricName: metric, unitName: unit, helpText: help)
    }
}
