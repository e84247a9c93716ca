import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice status`: where every item stands, stage by stage, with the last error.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show every item's state per stage, with the last error (reads the ledger; safe during a run).")

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Flag(help: "Write JSON (one object per item and stage).") var json = false

    func run() async throws {
        let (workspace, ledger, _) = try await WorkspaceArgument.resolve(target)
        let stages = try await ledger.stageNames()
        let tasks = try await ledger.tasks()
        let workers = try await ledger.workers()
        // Items whose files are in a worker's node-local scratch, per worker.
        let pinned = Dictionary(grouping: try await ledger.pins().values, by: { $0 }).mapValues(\.count)
        let now = Date().timeIntervalSince1970
        // A worker is alive while it sends heartbeats (a sixth of its lease apart; a minute is
        // the longest a default lease lets pass) and, on this host, while its process exists.
        let host = ProcessInfo.processInfo.hostName
        let live = workers.filter { $0.seemsAlive(now: now, within: 60, host: host) }
        // Tasks the ledger says are running belong to a dead run when no process holds the lock
        // and no worker is alive (a `kill -9`, a power cut): they are interrupted, and the next
        // run resumes them.
        let alive = WorkspaceLock.isHeld(workspace) || !live.isEmpty
        func state(_ task: TaskStatus) -> String { task.state == .running && !alive ? "interrupted" : task.state.rawValue }
        if json {
            struct Row: Encodable {
                var item: String, stage: String, state: String, attempts: Int, error: String?, code: String?, bytes: Int64?
                var reserved: Int64?, reservedArea: String?
            }
            let rows = tasks.map {
                Row(
                    item: $0.item, stage: stages[safe: $0.stage] ?? "\($0.stage)", state: state($0), attempts: $0.attempts,
                    error: $0.failure?.message, code: $0.failure?.code, bytes: $0.bytes,
                    reserved: $0.reserved, reservedArea: $0.reservedArea?.rawValue)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        let byItem = Dictionary(grouping: tasks, by: \.item)
        var order: [String] = []
        for task in tasks where !order.contains(task.item) { order.append(task.item) }
        let width = max(4, order.map(\.count).max() ?? 4)
        print("item".padding(toLength: width, withPad: " ", startingAt: 0) + "  " + stages.map { $0.padding(toLength: max(11, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " "))
        var errors: [String] = []
        for item in order {
            let row = byItem[item]!.sorted { $0.stage < $1.stage }
            var cells = Array(repeating: "", count: stages.count)
            for task in row {
                guard task.stage < stages.count else { continue }
                cells[task.stage] = state(task)
                if let failure = task.failure, task.state == .failed || task.state == .retrying {
                    errors.append("\(item) (\(stages[task.stage]), \(task.state.rawValue), attempt \(task.attempts)): \(failure.message) [\(failure.code)]")
                }
            }
            let line = zip(stages, cells).map { $1.padding(toLength: max(11, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " ")
            print(item.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + line)
        }
        let items = order.filter { !(byItem[$0]!.first?.isGroup ?? false) }
        let done = items.filter { byItem[$0]!.allSatisfy { $0.state == .done } }.count
        let failed = items.filter { byItem[$0]!.contains { $0.state == .failed } }.count
        print("\n\(items.count) items: \(done) done, \(failed) failed, \(items.count - done - failed) in progress or waiting")
        let running = tasks.filter { $0.state == .running }
        if !running.isEmpty {
            print(alive ? "\nRunning:" : "\nInterrupted (no sluice run holds the workspace any more; the next run resumes them):")
            for task in running {
                let held = task.reserved.map { ", \(ByteSize.format($0)) reserved in \(task.reservedArea?.rawValue ?? "?")" } ?? ""
                print("  \(task.item) (\(stages[safe: task.stage] ?? "\(task.stage)"), attempt \(task.attempts)\(held))")
            }
        }
        if !workers.isEmpty {
            print("\nWorkers:")
            for status in workers {
                let state =
                    status.stopped != nil
                    ? "stopped" : live.contains(status) ? "alive, last heartbeat \(Int(now - status.heartbeat)) s ago" : "silent for \(Int(now - status.heartbeat)) s"
                let kind = status.worker.isRun ? "sluice run" : "worker"
                let held = pinned[status.worker.id].map { ", \($0) item(s) in its node-local scratch" } ?? ""
                print("  \(kind) \(status.worker.id) on \(status.worker.host) (pid \(status.worker.pid)): \(state), \(status.running) task(s) running\(held)")
            }
        }
        if !errors.isEmpty {
            print("\nErrors:")
            for error in errors { print("  " + error) }
        }
    }
}
