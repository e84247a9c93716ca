import Foundation
import SluiceEngine

/// The report `sluice run` and `sluice demo` write at their end, and the line that says where.
enum ReportLine {
    /// Writes the run's report to `logs/report.html`; returns `Report:  PATH`, or why it was not
    /// written (a report never fails a run). `pipeline` is the file, for the hint.
    static func write(_ config: PipelineConfig, ledger: any Ledger, pipeline: String) async -> String {
        let workspace = Workspace(root: config.workspace)
        let path = workspace.logsFolder + "/report.html"
        do {
            let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: config.budget)
            return try report.write(to: path, workspace: workspace)
                ? "Report:  \(path)" : "Report:  not written: the budget has no room for it (sluice report \(pipeline) -o FILE writes it elsewhere)"
        } catch {
            return "Report:  not written: \(error)"
        }
    }
}
