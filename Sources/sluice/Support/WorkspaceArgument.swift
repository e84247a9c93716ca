import Foundation
import SluiceEngine

/// Commands that inspect or steer a workspace accept either the pipeline file or the workspace folder.
enum WorkspaceArgument {
    static func resolve(_ path: String) throws -> (workspace: Workspace, ledger: SQLiteLedger) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            printError("error: \(path) does not exist (give the pipeline file or its workspace folder)")
            throw SluiceExitCode.couldNotRun
        }
        let workspace = isFolder.boolValue ? Workspace(root: path) : Workspace(root: try loadPipeline(path).workspace)
        guard FileManager.default.fileExists(atPath: workspace.ledgerPath) else {
            printError("error: \(workspace.root) has no ledger yet (sluice.db); run the pipeline first")
            throw SluiceExitCode.couldNotRun
        }
        do {
            return (workspace, try SQLiteLedger(path: workspace.ledgerPath))
        } catch {
            printError("error: \(error)")
            throw SluiceExitCode.couldNotRun
        }
    }
}
