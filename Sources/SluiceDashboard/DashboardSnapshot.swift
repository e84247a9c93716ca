import Foundation
import SluiceEngine

/// What the dashboard shows at one moment, as JSON (`GET /api/state`, and each event of
/// `GET /api/events`): items, stage progress, disk per area, running tasks, workers, failures.
struct DashboardSnapshot: Encodable, Equatable {
    struct Items: Encodable, Equatable {
        var done: Int
        var failed: Int
        var waiting: Int
    }

    /// One stage's tasks by state.
    struct Stage: Encodable, Equatable {
        var name: String
        var waiting: Int
        var pending: Int
        var running: Int
        var retrying: Int
        var done: Int
        var failed: Int
        var blocked: Int
    }

    struct Running: Encodable, Equatable {
        var item: String
        var stage: String
        /// Seconds since 1970 when its attempt started.
        var started: Double?
        var reserved: Int64?
        var area: String?
        /// The cluster job it runs in (a SLURM job id), when it runs in one.
        var job: String?
    }

    struct Worker: Encodable, Equatable {
        var id: String
        var host: String
        var pid: Int
        /// `running`, `stopped` or `silent` (no heartbeat within two minutes).
        var state: String
        var tasks: Int
        var heartbeat: Double
    }

    struct Failure: Encodable, Equatable {
        var item: String
        var stage: String
        var code: String
        var message: String
    }

    var workspace: String
    var items: Items
    var stages: [Stage]
    var disk: [DiskUse]
    var running: [Running]
    var workers: [Worker]
    var failures: [Failure]
    /// Whether stop, retry and submissions are allowed.
    var control: Bool

    /// Running tasks and failures shown at most (the counts are always whole).
    static let listLimit = 200

    /// Reads the snapshot from `source`.
    static func gather(_ source: DashboardSource, control: Bool) async throws -> DashboardSnapshot {
        let names = try await source.ledger.stageNames()
        // Counts and the few tasks shown, not every task: a look costs the same at any run size.
        let overview = try await source.ledger.overview()
        func name(_ stage: Int) -> String { names.indices.contains(stage) ? names[stage] : "stage \(stage)" }
        let stages = names.indices.map { index in
            let count = overview.counts[index] ?? [:]
            return Stage(
                name: names[index], waiting: count[.waiting] ?? 0, pending: count[.pending] ?? 0, running: count[.running] ?? 0,
                retrying: count[.retrying] ?? 0, done: count[.done] ?? 0, failed: count[.failed] ?? 0, blocked: count[.blocked] ?? 0)
        }
        let jobs = try await source.jobs.current(from: source.ledger)
        let running = try await source.ledger.tasks(in: .running, limit: listLimit).map {
            Running(
                item: $0.item, stage: name($0.stage), started: $0.started, reserved: $0.reserved, area: $0.reservedArea?.rawValue,
                job: jobs[$0.stage]?[$0.item])
        }
        let failures = try await source.ledger.tasks(in: .failed, limit: listLimit).map {
            Failure(item: $0.item, stage: name($0.stage), code: $0.failure?.code ?? "", message: $0.failure?.message ?? "")
        }
        let now = Date().timeIntervalSince1970
        let host = ProcessInfo.processInfo.hostName
        let workers = try await source.ledger.workers().map { status in
            let state = status.stopped != nil ? "stopped" : status.seemsAlive(now: now, within: 120, host: host) ? "running" : "silent"
            return Worker(id: status.worker.id, host: status.worker.host, pid: status.worker.pid, state: state, tasks: status.running, heartbeat: status.heartbeat)
        }
        return DashboardSnapshot(
            workspace: source.workspace.root, items: Items(done: overview.done, failed: overview.failed, waiting: overview.unfinished), stages: stages,
            disk: try await source.disk(), running: running, workers: workers, failures: failures, control: control)
    }
}
