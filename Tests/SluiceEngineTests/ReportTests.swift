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

    /// What analysis stages wrote beside their outputs (`report.json`) is shown per stage: a
    /// table of every item's counts, whatever they are named, and the items' histograms; a
    /// `report.json` of another kind (preprocess's) is passed over.
    /// A mean over nothing (NaN) is written as null, not refused by the JSON encoder, and reads back as NaN.
    @Test func anUndefinedCountIsWrittenAsNull() throws {
        let folder = try TemporaryDirectory("sluice-report")
        try FileManager.default.createDirectory(atPath: folder.file("item/stage"), withIntermediateDirectories: true)
        try AnalysisReport(analysis: "validate", counts: [.init("signatures", 0), .init("mean quality", .nan)]).write(toFolder: folder.file("item/stage"))
        let text = try String(contentsOfFile: folder.file("item/stage/report.json"), encoding: .utf8)
        #expect(text.contains("null"))
        let read = AnalysisReport.read(outputFolder: folder.path)
        #expect(read.count == 1 && read[0].counts[0].value == 0 && read[0].counts[1].value.isNaN)
    }

    @Test func analysisReportsAreShownPerStage() async throws {
        let run = try await WatchedRun.run()
        let output = run.workspace.folder(.output)
        let sizes = DatasetQC.Histogram(values: [3, 12, 40], kept: [false, true, true])
        #expect(sizes.binWidth == 2 && sizes.kept.count == 21 && sizes.filtered[1] == 1 && sizes.kept[6] == 1 && sizes.kept[20] == 1)
        let first = AnalysisReport(
            analysis: "tally", counts: [.init("cells", 1200), .init("groups", 3)], figures: [.init(title: "groups by their cells", histogram: sizes)])
        let second = AnalysisReport(analysis: "tally", counts: [.init("cells", 800), .init("share", 0.25)])
        for (item, report) in [("x1", first), ("x2", second)] {
            try FileManager.default.createDirectory(atPath: output + "/\(item)/summary", withIntermediateDirectories: true)
            try report.write(toFolder: output + "/\(item)/summary")
        }
        try FileManager.default.createDirectory(atPath: output + "/x3/summary", withIntermediateDirectories: true)
        try Data(#"{"convert": {"cells": 3}}"#.utf8).write(to: URL(fileURLWithPath: output + "/x3/summary/report.json"))

        let report = try await RunReport.gather(workspace: run.workspace, ledger: run.ledger, budget: BudgetLimits(total: 50_000_000))
        #expect(report.analyses.map { "\($0.item)/\($0.stage)" } == ["x1/summary", "x2/summary"])
        #expect(report.analyses.first?.counts == first.counts && report.analyses.first?.figures == first.figures)
        let html = report.html()
        #expect(html.contains("<h2>Analyses</h2>") && html.contains("<h3>summary (tally)</h3>"))
        #expect(html.contains("<tr><th>item</th><th>cells</th><th>groups</th><th>share</th></tr>"))
        #expect(html.contains("<tr><td>x1</td><td>1200</td><td>3</td><td></td></tr>"))
        #expect(html.contains("<tr><td>x2</td><td>800</td><td></td><td>0.25</td></tr>"))
        #expect(html.contains("id=\"analysis-0-0-0\"") && !html.contains("id=\"analysis-0-1-0\""))
        #expect(html.contains("<title>2–4: 0 kept, 1 filtered</title>"))
        try await run.harness.stop()
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
