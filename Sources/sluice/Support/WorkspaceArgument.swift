import Foundation
import SluiceEngine

/// Commands that inspect or steer a workspace accept either the pipeline file or the workspace folder.
enum WorkspaceArgument {
    static func resolve(_ path: String) throws -> (workspace: Workspace, ledger: SQLiteLedger) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw WorkspaceError(code: "workspace.missing", "\(path) does not exist (give the pipeline file or its workspace folder)")
        }
        let workspace = isFolder.boolValue ? Workspace(root: path) : Workspace(root: try loadPipeline(path).workspace)
        guard FileManager.default.fileExists(atPath: workspace.ledgerPath) else {
            throw WorkspaceError(code: "workspace.no-ledger", "\(workspace.root) has no ledger yet (sluice.db); run the pipeline first")
        }
        return (workspace, try SQLiteLedger(path: workspace.ledgerPath))
    }
}
