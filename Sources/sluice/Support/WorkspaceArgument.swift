import Foundation
import SluiceEngine

/// Commands that inspect or steer a workspace accept either the pipeline file or the workspace folder.
enum WorkspaceArgument {
    /// The workspace and its ledger: the one the pipeline file names, or the one the workspace
    /// folder records (``LedgerLocation/recordName``), else its `sluice.db` — and the pipeline,
    /// when `path` is its file.
    static func resolve(_ path: String) async throws -> (workspace: Workspace, ledger: any Ledger, config: PipelineConfig?) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw WorkspaceError(code: "workspace.missing", "\(path) does not exist (give the pipeline file or its workspace folder)")
        }
        let config = isFolder.boolValue ? nil : try loadPipeline(path)
        let workspace = Workspace(root: config?.workspace ?? path)
        let location = try config?.ledger ?? LedgerLocation.recorded(in: workspace)
        let file: String? =
            switch location {
            case .workspace: workspace.ledgerPath
            case .sqlite(let path): path
            case .postgres: nil
            }
        if let file, !FileManager.default.fileExists(atPath: file) {
            throw WorkspaceError(code: "workspace.no-ledger", "\(workspace.root) has no ledger yet (\(file)); run the pipeline first")
        }
        return (workspace, try await location.open(workspace: workspace), config)
    }
}
