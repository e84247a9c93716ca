import Foundation

/// `sluice clean`: removes what the ledger says is no longer needed — released inputs not yet
/// deleted, stale `*.partial` files, the `raw/` and `interim/` folders of finished items, and
/// those of items that failed for good (recorded as evicted: `sluice retry` fetches them again).
/// Must run while no `sluice run` uses the workspace (it takes the lock).
public struct WorkspaceCleaner {
    /// The workspace to clean.
    public let workspace: Workspace
    /// The workspace's ledger, which says what is no longer needed.
    public let ledger: any Ledger

    /// A cleaner for `workspace`, guided by `ledger`.
    public init(workspace: Workspace, ledger: any Ledger) {
        self.workspace = workspace
        self.ledger = ledger
    }

    /// What would go (or went): paths and bytes.
    public struct Removal: Sendable, Codable {
        /// The absolute path of the file or folder.
        public var path: String
        /// Its allocated bytes (what `du` counts), measured before removal.
        public var bytes: Int64
    }

    /// Removes what is no longer needed and records it in the ledger; with `dryRun`, only lists it.
    /// Returns the paths (in order) and their sizes.
    public func clean(dryRun: Bool) async throws -> [Removal] {
        var removals: [Removal] = []
        var doomed: [ArtifactRecord] = try await ledger.artifacts(in: .released)
        var paths = Set(try doomed.map { try workspace.absolute($0.path) })
        paths.formUnion(workspace.partials())
        let tasks = try await ledger.tasks()
        let finished = Dictionary(grouping: tasks.filter { !$0.isGroup }, by: \.item).filter { $0.value.allSatisfy { $0.state == .done } }
        for item in finished.keys.sorted() {
            for area in [Area.raw, .interim] {
                let folder = try workspace.folder(area, item: item)
                if FileManager.default.fileExists(atPath: folder) { paths.insert(folder) }
            }
            doomed += try await ledger.liveArtifacts(item: item).filter { $0.area == .raw || $0.area == .interim }
        }
        for item in try await ledger.evictionCandidates(limit: -1, holder: nil) {
            for area in [Area.raw, .interim] {
                let folder = try workspace.folder(area, item: item)
                if FileManager.default.fileExists(atPath: folder) { paths.insert(folder) }
            }
            if !dryRun { doomed += try await ledger.evict(item: item, reason: "removed by sluice clean", now: Date().timeIntervalSince1970) }
        }
        for path in paths.sorted() {
            removals.append(Removal(path: path, bytes: DiskUsage.bytes(at: path)))
            if !dryRun { try workspace.remove(path) }
        }
        if !dryRun { try await ledger.mark(doomed, .deleted) }
        return removals
    }
}
