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
            guard let stage = stages[safe: task.stage] else { continue }
            let name = task.isGroup ? ItemSpec.collectiveName(ofTask: task.item) : task.item
            // A name that would leave the workspace (recorded by an older version) is never touched.
            guard let relative = stage.outputFolder(item: name, isGroup: task.isGroup),
                let folder = try? workspace.absolute(relative)
            else { continue }
            // An output folder without a `done` task is an interrupted commit: it is made again.
            try workspace.remove(folder)
            if stage.isSource { keep.insert(folder + ".partial") }
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
}
