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
        let reclaimed = try ledger.reclaim(all: true, now: now)
        try await delete(try ledger.artifacts(in: .released), budget: nil)

        var keep = Set<String>()
        for task in try ledger.tasks() where task.state != .done {
            guard let stage = stages[safe: task.stage] else { continue }
            let name = task.isGroup ? String(task.item.dropFirst("group:".count)) : task.item
            // A name that would leave the workspace (recorded by an older version) is never touched.
            guard let relative = stage.outputFolder(item: name, isGroup: task.isGroup),
                  let folder = try? workspace.absolute(relative) else { continue }
            // An output folder without a `done` task is an interrupted commit: it is made again.
            try workspace.remove(folder)
            if task.stage == 0, stage.spec.kind == .fetch { keep.insert(folder + ".partial") }
        }
        for partial in workspace.partials() where !keep.contains(partial) {
            try workspace.remove(partial)
        }
        if !reclaimed.isEmpty {
            try ledger.record(LedgerEvent(time: now, item: nil, stage: nil, kind: "recovered",
                                          message: "\(reclaimed.count) interrupted task(s) returned to the queue"))
        }
    }

    /// Deletes released artifacts' files, returns their bytes to the budget, and marks them deleted.
    func delete(_ artifacts: [ArtifactRecord], budget: DiskBudget?) async throws {
        guard !artifacts.isEmpty else { return }
        var folders = Set<String>()
        var freed: [Area: Int64] = [:]
        for artifact in artifacts {
            let path = try workspace.absolute(artifact.path)
            let bytes = DiskUsage.bytes(at: path)
            try workspace.remove(path)
            freed[artifact.area, default: 0] += bytes
            folders.insert((path as NSString).deletingLastPathComponent)
        }
        for folder in folders.sorted(by: { $0.count > $1.count }) { workspace.removeEmptyFolders(from: folder) }
        try ledger.mark(artifacts, .deleted)
        let now = Date().timeIntervalSince1970
        for (task, records) in Dictionary(grouping: artifacts, by: \.task).sorted(by: { $0.key.description < $1.key.description }) {
            let bytes = records.reduce(Int64(0)) { $0 + $1.bytes }
            try ledger.record(LedgerEvent(time: now, item: task.item, stage: task.stage, kind: "deleted",
                                          message: "\(records.count) file(s), \(ByteSize.format(bytes)) no longer needed"))
        }
        if let budget {
            for (area, bytes) in freed { await budget.freed(bytes, in: area) }
        }
    }
}
