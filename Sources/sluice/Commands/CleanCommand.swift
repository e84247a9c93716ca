import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice clean`: removes what the ledger says is no longer needed.
struct CleanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove what is no longer needed: released inputs, stale .partial files, raw/ and interim/ of finished and failed items.")

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Flag(help: "Only list what would be removed.") var dryRun = false

    func run() async throws {
        let (workspace, ledger, _) = try await WorkspaceArgument.resolve(target)
        let lock = try WorkspaceLock(workspace)
        let removals = try await WorkspaceCleaner(workspace: workspace, ledger: ledger).clean(dryRun: dryRun)
        withExtendedLifetime(lock) {}
        for removal in removals { print("\(dryRun ? "would remove" : "removed") \(removal.path) (\(ByteSize.format(removal.bytes)))") }
        let total = removals.reduce(Int64(0)) { $0 + $1.bytes }
        print("\(removals.count) path(s), \(ByteSize.format(total))\(dryRun ? " would be freed" : " freed").")
    }
}
