import Foundation

/// Brings a workspace back to what its ledger says after a crash (rule 2, DESIGN.md):
/// attempts that were running return to the queue, outputs they left (renamed or not) are
/// removed, inputs that were released but not yet deleted are deleted, and stale `*.partial`
/// files are swept — except a download's, which the next attempt resumes with a Range request.
struct WorkspaceRecovery {
    let workspace: Workspace
    let ledger: any Ledger
    let stages: [any Stage]

    func recover(now: Double) async throws {
        // The caller holds the workspace lock: any task still marked running belongs to a dead run.
        let reclaimed = try await ledger.reclaim(all: true, now: now)
        try await ArtifactRemover(workspace: workspace, ledger: ledger).delete(try ledger.artifacts(in: .released), budget: nil)

        var keep = Set<String>()
        for task in try await ledger.tasks() where task.state != .done {
            guard let folder = outputFolder(of: TaskKey(item: task.item, stage: task.stage)) else { continue }
            // An output folder without a `done` task is an interrupted commit: it is made again.
            try workspace.remove(folder)
            if stages[task.stage].keepsPartialOutput { keep.insert(folder + ".partial") }
        }
        for partial in workspace.partials() where !keep.contains(partial) {
            try workspace.remove(partial)
        }
        if !reclaimed.isEmpty {
            try await ledger.record(
                LedgerEvent(
                    time: now, item: nil, stage: nil, kind: "recovered",
                    message: "\(reclaimed.count) interrupted task(s) returned to the queue"))
        }
    }

    /// Removes what the attempts of `tasks` left, which another worker ran and was taken back
    /// from: their outputs (renamed into place but never recorded), their partial outputs under
    /// any worker's name (not where the next attempt adopts or resumes them), and a download's
    /// partial file (its next attempt starts over). Returns the allocated bytes and entries
    /// freed, per area.
    func removeLeftovers(of tasks: [TaskKey]) throws -> [Area: (bytes: Int64, entries: Int)] {
        var freed: [Area: (bytes: Int64, entries: Int)] = [:]
        for task in tasks {
            guard let folder = outputFolder(of: task), let area = stages[task.stage].outputArea else { continue }
            // In node-local scratch, what the attempt left is on its worker's node, not this one's
            // (the same path here may be this worker's own attempt at the task).
            if workspace.scratch != nil, Area.nodeLocal.contains(area) { continue }
            // A job that outlived its worker may still write into its partial output; the next
            // attempt adopts it. A checkpointed task's next attempt resumes it.
            let stage = stages[task.stage]
            let partial = stage.adoptsInterruptedAttempts || stage.resumesInterruptedAttempts ? [] : [folder + ".partial"]
            for path in [folder] + partial + PipelineRunner.workerPartials(of: folder) {
                let size = DiskUsage.measure(path)
                try workspace.remove(path)
                freed[area, default: (0, 0)].bytes += size.bytes
                freed[area, default: (0, 0)].entries += size.entries
            }
        }
        return freed
    }

    /// Where a task's stage commits its output, absolute; nil for a stage that writes none, or a
    /// name that would leave the workspace (recorded by an older version: never touched).
    private func outputFolder(of task: TaskKey) -> String? {
        guard let stage = stages[safe: task.stage] else { return nil }
        let isGroup = ItemSpec.isCollectiveID(task.item)
        let name = isGroup ? ItemSpec.collectiveName(ofTask: task.item) : task.item
        guard let relative = stage.outputFolder(item: name, isGroup: isGroup) else { return nil }
        return try? workspace.absolute(relative)
    }
}
