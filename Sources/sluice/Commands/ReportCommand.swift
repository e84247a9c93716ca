import ArgumentParser
import Foundation
import SluiceEngine

/// `sluice report`: the run's report as one self-contained HTML file.
struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the run's report: one self-contained HTML file (reads the ledger and the trace; safe during a run).",
        discussion: """
            The page holds the summary (items done, failed and still to do; bytes written against \
            the budget; wall time), a timeline of every task attempt, each area's disk use over \
            time against its quota, throughput and resources per stage, and the failures with \
            their reasons. It needs nothing else to open: no script, no network. `sluice run` \
            writes it to <workspace>/logs/report.html at its end when the budget has room.
            """)

    @Argument(help: "The pipeline file or its workspace folder.") var target: String
    @Option(name: .shortAndLong, help: "Where to write the page (default: <workspace>/logs/report.html).") var output: String?

    func run() async throws {
        let (workspace, ledger, config) = try await WorkspaceArgument.resolve(target)
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: config?.budget)
        let path = output.map { ($0 as NSString).standardizingPath } ?? workspace.logsFolder + "/report.html"
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        guard try report.write(to: absolute, workspace: workspace) else {
            throw WorkspaceError(code: "report.no-room", "the report does not fit in the workspace's budget; write it elsewhere with -o FILE")
        }
        print(absolute)
    }
}
