import Foundation

/// Deletes artifacts the ledger released (inputs of committed work, an item's files at
/// cleanup), returns their bytes to the budget, and records them as deleted.
struct ArtifactRemover {
    let workspace: Workspace
    let ledger: any Ledger

    /// Deletes released artifacts' files, returns their bytes to the budget, and marks them deleted.
    func delete(_ artifacts: [ArtifactRecord], budget: DiskBudget?) async throws {
        guard !artifacts.isEmpty else { return }
        var freed: [Area: (bytes: Int64, entries: Int)] = [:]
        var folders: [String: Area] = [:]
        for artifact in artifacts {
            let path = try workspace.absolute(artifact.path)
            let size = DiskUsage.measure(path)
            try workspace.remove(path)
            freed[artifact.area, default: (0, 0)].bytes += size.bytes
            freed[artifact.area, default: (0, 0)].entries += size.entries
            folders[(path as NSString).deletingLastPathComponent] = artifact.area
        }
        for (folder, area) in folders.sorted(by: { $0.key.count > $1.key.count }) {
            let size = workspace.removeEmptyFolders(from: folder)
            freed[area, default: (0, 0)].bytes += size.bytes
            freed[area, default: (0, 0)].entries += size.entries
        }
        try await ledger.mark(artifacts, .deleted)
        let now = Date().timeIntervalSince1970
        for (task, records) in Dictionary(grouping: artifacts, by: \.task).sorted(by: { $0.key.description < $1.key.description }) {
            let bytes = records.reduce(Int64(0)) { $0 + $1.bytes }
            try await ledger.record(
                LedgerEvent(
                    time: now, item: task.item, stage: task.stage, kind: "deleted",
                    message: "\(records.count) file(s), \(ByteSize.format(bytes)) no longer needed"))
        }
        if let budget {
            for (area, size) in freed { await budget.freed(size.bytes, files: size.entries, in: area) }
        }
    }

    /// Removes `item`'s folders in `areas` with whatever no stage recorded in them, returns
    /// what that freed to the budget, and says how many allocated bytes went.
    func removeFolders(of item: String, in areas: [Area], budget: DiskBudget) async throws -> Int64 {
        var bytes: Int64 = 0
        for area in areas {
            let folder = try workspace.folder(area, item: item)
            let size = DiskUsage.measure(folder)
            try workspace.remove(folder)
            if size.entries > 0 { await budget.freed(size.bytes, files: size.entries, in: area) }
            bytes += size.bytes
        }
        return bytes
    }
}
