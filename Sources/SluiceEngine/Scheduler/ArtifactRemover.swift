import Foundation

/// Deletes artifacts the ledger released (inputs of committed work, an item's files at
/// cleanup), returns their bytes to the budget, and records them as deleted.
struct ArtifactRemover {
    let workspace: Workspace
    let ledger: any Ledger

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
