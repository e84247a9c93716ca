import Foundation
import SluiceEngine
import SluiceLoopback
import SluiceTestSupport
import Testing

/// The run's report: one self-contained HTML page with the run's real numbers, which a browser
/// renders offline.
@Suite struct ReportTests {
    /// A run of four downloads, one of which cannot succeed.
    private func finishedRun() async throws -> (harness: PipelineHarness, workspace: Workspace, ledger: any Ledger) {
        var files: [String: Data] = [:]
        for index in 1...3 { files["f\(index).bin"] = PipelineHarness.bytes(100_000 * index, seed: UInt8(index)) }
        let harness = try await PipelineHarness.start(files: files, registry: .tests)
        let yaml = """
            workspace: ./work
            budget: {total: 50MB, areas: {raw: 20MB}}
            items:
              - {name: a, url: "\(harness.server.url("f1.bin"))"}
              - {name: b, url: "\(harness.server.url("f2.bin"))"}
              - {name: c, url: "\(harness.server.url("slow/20/f3.bin"))"}
              - {name: gone, url: "\(harness.server.url("status/404/none.bin"))"}
            stages:
              - fetch: {}
              - copy: {}
            """
        let session = try await PipelineSession(config: try harness.load(try harness.pipeline(yaml)))
        let summary = try await session.run()
        #expect(summary.done == 3 && summary.failed == 1)
        return (harness, session.runner.workspace, session.runner.ledger)
    }

    @Test func theReportHoldsTheRunsNumbersAndNeedsNothingElse() async throws {
        let (harness, workspace, ledger) = try await finishedRun()
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: 50_000_000))
        let html = report.html()
        #expect(html.contains("<div class=\"n\" id=\"items-done\">3</div>"))
        #expect(html.contains("<div class=\"n failed\" id=\"items-failed\">1</div>"))
        #expect(html.contains("id=\"attempts\">\(report.attempts.count)<"))
        // Every completed attempt's bytes: the three downloads (600,000 bytes) and their copies.
        #expect(report.attempts.filter { $0.stage == "fetch" }.compactMap(\.written).reduce(0, +) == 600_000)
        #expect(report.bytesWritten >= 2 * 600_000 && report.bytesWritten < 2 * 600_000 + 100)
        #expect(html.contains("answered HTTP 404"))
        #expect(html.components(separatedBy: "<svg").count - 1 >= 3, "a timeline and disk plots")
        #expect(report.samples.contains { $0.area == DiskSample.total && $0.quota == 50_000_000 })
        // Self-contained: no script, stylesheet or image to fetch.
        for outside in ["<script", "<link", "src=", "@import", "url("] { #expect(!html.contains(outside), "\(outside)") }
        try await harness.stop()
    }

    /// Headless Chromium renders the written page offline: a screenshot that is not blank, and
    /// a DOM with the run's numbers.
    @Test(.enabled(if: Chromium.runs, "skipped: no chromium")) func chromiumRendersTheReport() async throws {
        let (harness, workspace, ledger) = try await finishedRun()
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: 50_000_000))
        let page = workspace.logsFolder + "/report.html"
        #expect(try report.write(to: page, workspace: workspace))
        let dom = try await offThePool { try Chromium.dom("file://" + page) }
        #expect(dom.contains("id=\"items-done\">3<") && dom.contains("id=\"items-failed\">1<"), "\(dom.prefix(500))")
        #expect(dom.contains("<rect"))
        let shot = harness.folder.file("report.png")
        try await offThePool { try Chromium.screenshot("file://" + page, to: shot, width: 800, height: 600) }
        let inked = try await offThePool { try Chromium.inkedShare(ofPNG: shot) }
        #expect(inked > 0.01, "the screenshot is blank (\(inked) of its pixels inked)")
        try await harness.stop()
    }

    /// Inside the workspace, a report is written only when the budget has room for it.
    @Test func aReportWithNoRoomIsNotWritten() async throws {
        let (harness, workspace, ledger) = try await finishedRun()
        let used = DiskUsage.measure(workspace.root).bytes
        let report = try await RunReport.gather(workspace: workspace, ledger: ledger, budget: BudgetLimits(total: used + 4096))
        let page = workspace.logsFolder + "/report.html"
        #expect(try report.write(to: page, workspace: workspace) == false)
        #expect(!FileManager.default.fileExists(atPath: page))
        try await harness.stop()
    }
}
