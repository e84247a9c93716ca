import SluiceEngine

/// The end-of-run summary for people: counts, one line per failed item, and where things are.
enum RunSummaryText {
    static func render(_ summary: RunSummary, workspace: Workspace, ledger: LedgerLocation = .workspace) -> String {
        var lines: [String] = []
        let total = summary.items.count
        let head = summary.interrupted ? "Stopped" : "Finished"
        lines.append("\(head) in \(DurationText.format(summary.seconds)): \(summary.done) of \(total) items done, \(summary.failed) failed, \(summary.unfinished) unfinished.")
        for item in summary.items where item.state == .failed {
            lines.append("  FAILED \(item.item) (\(item.stage ?? "?")): \(item.reason ?? "no reason recorded")")
        }
        for item in summary.items where item.state == .unfinished && item.reason != nil {
            lines.append("  waiting \(item.item) (\(item.stage ?? "?")): \(item.reason ?? "")")
        }
        lines.append("Outputs: \(workspace.folder(.output))")
        lines.append("Logs:    \(workspace.logsFolder)/pipeline.log (programs' output of failed items: \(workspace.logsFolder)/items/<item>/)")
        let place: String =
            switch ledger {
            case .workspace: workspace.ledgerPath
            case .sqlite(let path): path
            case .postgres(let location): location.description
            }
        lines.append("Ledger:  \(place)  (sluice status, sluice retry --failed, sluice events)")
        return lines.joined(separator: "\n")
    }
}
