import Foundation
import Prometheus

/// A runner's metrics in Prometheus's text format (swift-prometheus, with a registry of its own:
/// nothing global): tasks per stage and state, bytes committed and reserved per area with their
/// quotas and the budget, task attempts and their durations per stage, failures by error code,
/// bytes each stage wrote (a fetch stage's rate is its download throughput), items evicted
/// and trace rows dropped. Attempts are counted as the trace records them; the rest is refreshed from the
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

    /// Sets the gauges of tasks per stage and state.
    public func refresh(tasks: [String: [TaskState: Int]]) {
        for (stage, counts) in tasks {
            for state in TaskState.allCases {
                registry.makeGauge(descriptor: Self.name("tasks", "", "Tasks by stage and state."), labels: [("stage", stage), ("state", state.rawValue)])
                    .set(Int64(counts[state] ?? 0))
            }
        }
    }

    /// Sets the gauges of the disk from the budget's books (a runner's own view).
    func refresh(books: BudgetSnapshot, droppedTraceRows: Int) {
        for area in Area.allCases {
            setArea(area.rawValue, committed: books.committed[area] ?? 0, reserved: books.reserved[area] ?? 0, quota: books.limits.areas[area])
        }
        registry.makeGauge(descriptor: Self.name("budget", "bytes", "The workspace's total budget.")).set(books.limits.total)
        registry.makeGauge(descriptor: Self.name("overhead", "bytes", "Bytes the ledger and the logs hold.")).set(books.overhead)
        registry.makeGauge(descriptor: Self.name("waiting_for_space", "", "Reservations waiting for room in the budget.")).set(Int64(books.waiting))
        registry.makeGauge(descriptor: Self.name("trace_rows_dropped", "", "Trace rows dropped because the trace fell behind.")).set(Int64(droppedTraceRows))
    }

    /// Sets the gauges of the disk from the disk samples the runners recorded (what a process
    /// that reads the ledger of a run sees): ``DiskUse/current(from:)``.
    public func refresh(disk: [DiskUse]) {
        for use in disk {
            if use.area == DiskSample.total {
                if let quota = use.quota { registry.makeGauge(descriptor: Self.name("budget", "bytes", "The workspace's total budget.")).set(quota) }
            } else {
                setArea(use.area, committed: use.committed, reserved: use.reserved, quota: use.quota)
            }
        }
    }

    /// Counts one item whose inputs were evicted to make room.
    func noteEviction() {
        registry.makeCounter(descriptor: Self.name("items_evicted", "total", "Failed items whose inputs were deleted to make room for waiting work.")).increment()
    }

    private func setArea(_ area: String, committed: Int64, reserved: Int64, quota: Int64?) {
        let labels = [("area", area)]
        registry.makeGauge(descriptor: Self.name("area_committed", "bytes", "Bytes committed in an area, as the runners' books say."), labels: labels)
            .set(committed)
        registry.makeGauge(descriptor: Self.name("area_reserved", "bytes", "Bytes reserved in an area for writers at work."), labels: labels)
            .set(reserved)
        if let quota {
            registry.makeGauge(descriptor: Self.name("area_quota", "bytes", "An area's quota."), labels: labels).set(quota)
        }
    }

    /// The metrics in Prometheus's text exposition format.
    public func text() -> String { registry.emitToString() }

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "sluice", metricName: metric, unitName: unit, helpText: help)
    }
}
