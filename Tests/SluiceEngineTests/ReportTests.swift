import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// The run's report: one self-contained HTML page with the run's real numbers, which a browser
/// renders offline.
@Suite struct ReportTests {
    @Test func theReportHoldsTheRunsNumbersAndNeedsNothingElse() async throws {
        let run = try await WatchedRun.run()
        let (harness, workspace, ledger) = (run.harness, run.workspace, run.ledger)
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: 50_000_000))
        let html = report.html()
        #expect(html.contains("<div class=\"n\" id=\"items-done\">3</div>"))
        #expect(html.contains("<div class=\"n failed\" id=\"items-failed\">1</div>"))
        #expect(html.contains("id=\"attempts\">\(report.attempts.count)<"))
        // Every completed attempt's bytes: the three downloads (600,000 bytes) and their copies.
        #expect(report.attempts.filter { $0.stage == "fetch" }.compactMap(\.written).reduce(0, +) == 600_000)
        #expect(report.bytesWritten >= 2 * 600_000 && report.bytesWritten < 2 * 600_000 + 100)
        #expect(html.contains("answered HTTP 404"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 4, "a timeline, disk plots and throughput")
        #expect(html.contains("id=\"throughput\""))
        // Throughput counts every completed attempt once, in its stage's row.
        let throughput = try #require(report.throughput())
        for (stage, counts) in throughput.counts {
            #expect(counts.reduce(0, +) == report.attempts.filter { $0.stage == stage && $0.status == "COMPLETED" }.count, "\(stage)")
        }
        #expect(throughput.counts.map(\.stage) == report.stages)
        #expect(report.samples.contains { $0.area == DiskSample.total && $0.quota == 50_000_000 })
        // Self-contained: no script, stylesheet or image to fetch.
        for outside in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(outside), "\(outside)") }
        try await harness.stop()
    }

    /// Headless Chromium renders the written page offline: a screenshot that is not blank, and
    /// a DOM with the run's numbers.
    @Test(.enabled(if: Chromium.runs, "skipped: no chromium")) func chromiumRendersTheReport() async throws {
        let run = try await WatchedRun.run()
        let (harness, workspace, ledger) = (run.harness, run.workspace, run.ledger)
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: 50_000_000))
        let page = workspace.logsFolder + "/report.html"
        #expect(try report.write(to: page, workspace: workspace))
        let dom = try await Chromium.dom("file://" + page)
        #expect(dom.contains("id=\"items-done\">3<") && dom.contains("id=\"items-failed\">1<"), "\(dom.prefix(500))")
        #expect(dom.contains("<rect"))
        let shot = harness.folder.file("report.png")
        try await Chromium.screenshot("file://" + page, to: shot, width: 800, height: 600)
        let inked = try await offThePool { try Chromium.inkedShare(ofPNG: shot) }
        #expect(inked > 0.01, "the screenshot is blank (\(inked) of its pixels inked)")
        try await harness.stop()
    }

    /// Inside the workspace, a report is written only when the budget has room for it.
    @Test func aReportWithNoRoomIsNotWritten() async throws {
        let run = try await WatchedRun.run()
        let (harness, workspace, ledger) = (run.harness, run.workspace, run.ledger)
        let used = DiskUsage.measure(workspace.root).bytes
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: used + 4096))
        let page = workspace.logsFolder + "/report.html"
        #expect(try report.write(to: page, workspace: workspace) == false)
        #expect(!FileManager.default.fileExists(atPath: page))
        try await harness.stop()
    }
}
