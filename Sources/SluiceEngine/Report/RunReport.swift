import Foundation
import SluiceFormats

/// The run's report: one self-contained HTML file (no script, no network; the figures are SVG
/// written here) with the summary, a timeline of every task attempt, disk use per area over
/// time against its quota, throughput and resources per stage, and the failures — read from
/// the ledger, its disk samples and the trace files, so it can be made during a run, after
/// it, or from another shell.
public struct RunReport: Sendable {
    public var workspace: String
    public var stages: [String]
    public var tasks: [TaskStatus]
    public var attempts: [TracedAttempt]
    public var samples: [DiskSample]
    public var budget: BudgetLimits?
    /// The items whose source told what they are (a catalog's dataset metadata, a manifest's
    /// extra columns), in their order.
    public var sources: [ItemSpec] = []
    /// The QC of the datasets that went through `preprocess`, by item.
    public var datasets: [DatasetQC] = []
    /// What the analysis stages found, by item and stage.
    public var analyses: [AnalysisReport] = []
    /// When it was made, seconds since 1970.
    public var made: Double
    /// Items fetched again after they were parked while waiting for a group or the barrier,
    /// and the bytes fetched twice.
    public var refetched: (items: Int, bytes: Int64) = (0, 0)

    /// Reads what the report shows from `workspace`'s ledger and trace files; `budget` is the
    /// pipeline's, when known (the samples carry the quotas too).
    public static func gather(workspace: Workspace, ledger: any Ledger, budget: BudgetLimits? = nil) async throws -> RunReport {
        var report = RunReport(
            workspace: workspace.root, stages: try await ledger.stageNames(), tasks: try await ledger.tasks(),
            attempts: TracedAttempt.read(logsFolder: workspace.logsFolder), samples: try await ledger.samples(since: 0), budget: budget,
            datasets: DatasetQC.read(outputFolder: workspace.folder(.output)), analyses: AnalysisReport.read(outputFolder: workspace.folder(.output)),
            made: Date().timeIntervalSince1970)
        let refetches = try await ledger.events(kind: "refetched")
        report.refetched = (refetches.count, refetches.reduce(0) { $0 + (LedgerEvent.refetchedBytes($1) ?? 0) })
        report.sources = try await ledger.items().filter { !($0.metadata ?? [:]).isEmpty }
        return report
    }

    /// The items done, failed, and still to do (waiting, running or interrupted).
    public var itemCounts: (done: Int, failed: Int, waiting: Int) {
        let summary = RunSummary.from(tasks: tasks, stageNames: stages, seconds: 0, workspace: workspace, interrupted: false)
        return (summary.done, summary.failed, summary.unfinished)
    }

    /// Bytes committed by every completed attempt.
    public var bytesWritten: Int64 { attempts.filter { $0.status == "COMPLETED" }.reduce(0) { $0 + ($1.written ?? 0) } }

    /// Milliseconds from the first attempt's submit to the last one's end.
    public var wallMilliseconds: Int64 {
        guard let first = attempts.map(\.submit).min(), let last = attempts.map(\.complete).max() else { return 0 }
        return last - first
    }

    /// Writes the page to `path` (atomically). Inside `workspace`, only when its budget has room
    /// for it (the report is the run's own file, counted like the logs): returns false, writing
    /// nothing, when it has not.
    @discardableResult
    public func write(to path: String, workspace: Workspace) throws -> Bool {
        let page = Data(html().utf8)
        let inside = path.hasPrefix(workspace.root + "/")
        if inside, let limit = budget?.total {
            let old = DiskUsage.measure(path).bytes
            let room = limit - DiskUsage.measure(workspace.root).bytes + old
            guard DiskUsage.allocation(forLength: Int64(page.count)) * 2 <= room else { return false }
        }
        try AtomicCommit.write(page, to: path)
        return true
    }

    /// The page.
    public func html() -> String {
        let (done, failed, waiting) = itemCounts
        let total = budget?.total ?? samples.last { $0.area == DiskSample.total }?.quota
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Sluice report: \(SVGPlot.escape(workspace))</title>
            <style>
            body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
            table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:3px 10px;text-align:right}
            td:first-child,th:first-child{text-align:left}.n{font-size:24px;font-weight:600}.cards{display:flex;gap:28px}
            .failed{color:#d62728}svg{display:block;margin:8px 0}h3{font-size:14px;margin-top:20px}
            .qc-row{display:flex;gap:18px;align-items:flex-end}.qc-row svg{margin:4px 0}.qc-name{width:150px;font-size:12px;overflow:hidden}
            </style></head><body>
            <h1>Sluice report</h1>
            <p>Workspace <code>\(SVGPlot.escape(workspace))</code>, made \(SVGPlot.escape(Self.timestamp(made))).</p>
            <h2>Summary</h2>
            <div class="cards">
            <div><div class="n" id="items-done">\(done)</div>items done</div>
            <div><div class="n failed" id="items-failed">\(failed)</div>items failed</div>
            <div><div class="n" id="items-waiting">\(waiting)</div>items still to do</div>
            <div><div class="n" id="bytes-written">\(SVGPlot.escape(ByteSize.format(bytesWritten)))</div>written\(total.map { " through a budget of " + SVGPlot.escape(ByteSize.format($0)) } ?? "")</div>
            <div><div class="n" id="wall-time">\(SVGPlot.escape(SVGPlot.seconds(wallMilliseconds)))</div>from first claim to last end</div>
            <div><div class="n" id="attempts">\(attempts.count)</div>task attempts</div>
            <div><div class="n" id="bytes-fetched-twice">\(SVGPlot.escape(ByteSize.format(refetched.bytes)))</div>fetched twice (\(refetched.items) item(s) parked while they waited for a group)</div>
            </div>

            """
        page += "<h2>Timeline</h2><p>One lane per task attempt: grey while it waited for space, its stage's colour while it ran, outlined red when it failed.</p>"
        page += legend() + SVGPlot.timeline(attempts, stages: stages)
        page += diskSection()
        page += throughputSection()
        page += stageTable()
        page += sourceSection()
        page += datasetSection()
        page += analysisSection()
        page += failureList()
        return page + "</body></html>\n"
    }

    private func legend() -> String {
        "<p>"
            + stages.enumerated().map { index, name in
                "<span style=\"color:\(SVGPlot.palette[index % SVGPlot.palette.count])\">■</span> \(SVGPlot.escape(name))"
            }.joined(separator: " &nbsp; ") + "</p>"
    }

    /// Disk use per area (committed and reserved, summed over the workers' samples taken at
    /// the same moment) against its quota, and the whole workspace against the budget.
    private func diskSection() -> String {
        guard let origin = samples.map(\.time).min(), let end = samples.map(\.time).max() else {
            return "<h2>Disk use</h2><p>No disk samples were recorded (they are taken every 5 s while a run goes).</p>"
        }
        var html = "<h2>Disk use</h2><p>What each area held (committed and reserved) as each runner's books said, every 5 s and at the run's start and end, against its quota (dashed).</p>"
        let areas = [DiskSample.total] + Area.allCases.map(\.rawValue)
        for area in areas {
            let mine = samples.filter { $0.area == area }
            guard mine.contains(where: { $0.committed + $0.reserved > 0 }) || area == DiskSample.total else { continue }
            // One line per worker: each one's books hold what it reserved and committed itself.
            let workers = Dictionary(grouping: mine, by: \.worker).sorted { $0.key < $1.key }
            let series = workers.map { worker, samples in
                (
                    name: workers.count == 1 ? area : String(worker.split(separator: ":").prefix(2).joined(separator: ":")),
                    points: samples.map { (time: $0.time, value: Double($0.committed + $0.reserved)) }
                )
            }
            let limit = area == DiskSample.total ? (budget?.total ?? mine.last?.quota) : (mine.last?.quota ?? budget?.areas[Area(rawValue: area) ?? .raw])
            html += "<h3>\(SVGPlot.escape(area == DiskSample.total ? "whole workspace" : area + "/"))</h3>"
            html += SVGPlot.lines(series, limit: limit.map(Double.init), origin: origin, end: end)
        }
        return html
    }

    /// Tasks each stage completed in each of up to 60 intervals (of at least a second) from the
    /// first attempt's submit to the last one's end: the interval's length, its first start
    /// (seconds since 1970), and per stage (in pipeline order) the count in each interval.
    public func throughput() -> (interval: Double, origin: Double, counts: [(stage: String, counts: [Int])])? {
        let completed = attempts.filter { $0.status == "COMPLETED" }
        guard let first = attempts.map(\.submit).min(), let last = attempts.map(\.complete).max(), !completed.isEmpty else { return nil }
        let origin = Double(first) / 1000
        let interval = max(1, (Double(last) / 1000 - origin) / 60)
        let buckets = Int((Double(last) / 1000 - origin) / interval) + 1
        return (
            interval, origin,
            stages.map { stage in
                var counts = [Int](repeating: 0, count: buckets)
                for attempt in completed where attempt.stage == stage {
                    counts[min(buckets - 1, Int((Double(attempt.complete) / 1000 - origin) / interval))] += 1
                }
                return (stage, counts)
            }
        )
    }

    /// Each stage's completed tasks per minute over the run.
    private func throughputSection() -> String {
        guard let (interval, origin, counts) = throughput() else { return "" }
        let series = counts.map { stage, counts in
            (name: stage, points: counts.enumerated().map { (time: origin + (Double($0.offset) + 0.5) * interval, value: Double($0.element) * 60 / interval) })
        }
        let end = origin + Double(counts.first?.counts.count ?? 1) * interval
        let html =
            "<h2>Throughput</h2><p id=\"throughput\">Tasks each stage completed per minute, counted in intervals of \(SVGPlot.escape(SVGPlot.seconds(Int64(interval * 1000)))).</p>"
        return html + SVGPlot.lines(series, limit: nil, origin: origin, end: end, label: { String(format: "%.0f/min", $0) })
    }

    /// Datasets shown as bars at most (the table lists all).
    static let datasetBars = 100
    /// Datasets whose QC histograms are drawn at most.
    static let datasetHistograms = 24

    /// Per dataset that went through `preprocess`: a bar of the cells kept and filtered, a
    /// table with the medians its QC pass measured, and histograms of counts and genes per cell
    /// and % mito.
    /// What each item's source said it is: one row per item, the catalog's fields first.
    private func sourceSection() -> String {
        guard !sources.isEmpty else { return "" }
        let first = ["title", "organism", "tissue", "disease", "assay", "cell_count", "dataset_version_id"]
        let present = Set(sources.flatMap { $0.metadata!.keys })
        let columns = first.filter(present.contains) + present.subtracting(first).sorted()
        var html = "<h2>Sources</h2><p>What each item's source said it is (a catalog's metadata, a manifest's extra columns)"
        html += sources.count > Self.sourceRows ? "; the first \(Self.sourceRows) of \(sources.count) items.</p>" : ".</p>"
        html += "<table id=\"sources\"><tr><th>item</th>" + columns.map { "<th>\(SVGPlot.escape($0))</th>" }.joined() + "</tr>"
        for item in sources.prefix(Self.sourceRows) {
            html += "<tr><td>\(SVGPlot.escape(item.name))</td>" + columns.map { "<td>\(SVGPlot.escape(item.metadata![$0] ?? ""))</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    /// Rows of the sources table at most.
    static let sourceRows = 500

    private func datasetSection() -> String {
        guard !datasets.isEmpty else { return "" }
        var html = "<h2>Datasets</h2><p>Cells each dataset's QC kept (green) and filtered out (red), from its <code>report.json</code>"
        html += datasets.count > Self.datasetBars ? "; the first \(Self.datasetBars) of \(datasets.count) drawn.</p>" : ".</p>"
        let shown = datasets.prefix(Self.datasetBars)
        let widest = Double(shown.map(\.cells).max() ?? 1)
        let (left, plot, row) = (170.0, 700.0, 16.0)
        html += "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"datasets-plot\" width=\"\(Int(left + plot + 90))\" height=\"\(Int(row * Double(shown.count) + 6))\">"
        for (index, dataset) in shown.enumerated() {
            let y = Double(index) * row + 2
            let kept = Double(dataset.kept) / max(1, widest) * plot
            let dropped = Double(dataset.dropped) / max(1, widest) * plot
            html += "<text x=\"0\" y=\"\(Int(y + 11))\" font-size=\"11\">\(SVGPlot.escape(String(dataset.item.prefix(26))))</text>"
            html += "<rect x=\"\(Int(left))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", kept))\" height=\"12\" fill=\"#2ca02c\"><title>\(dataset.kept) kept</title></rect>"
            html +=
                "<rect x=\"\(String(format: "%.1f", left + kept))\" y=\"\(Int(y))\" width=\"\(String(format: "%.1f", dropped))\" height=\"12\" fill=\"#d62728\"><title>\(dataset.dropped) filtered</title></rect>"
            html += "<text x=\"\(String(format: "%.1f", left + kept + dropped + 4))\" y=\"\(Int(y + 11))\" font-size=\"10\">\(dataset.cells)</text>"
        }
        html += "</svg><table id=\"datasets\"><tr><th>dataset</th><th>cells</th><th>kept</th><th>filtered</th><th>median genes/cell</th><th>median counts/cell</th><th>median % mito</th></tr>"
        func number(_ value: Double?, _ format: String) -> String { value.map { String(format: format, $0) } ?? "" }
        for dataset in datasets {
            html += "<tr><td>\(SVGPlot.escape(dataset.item))</td><td>\(dataset.cells)</td><td>\(dataset.kept)</td><td>\(dataset.dropped)</td>"
            html += "<td>\(number(dataset.medianGenes, "%.0f"))</td><td>\(number(dataset.medianCounts, "%.0f"))</td><td>\(number(dataset.medianPercentMito, "%.2f"))</td></tr>"
        }
        return html + "</table>" + histogramSection()
    }

    /// Per dataset (the first ``datasetHistograms``), how its cells spread over counts per cell,
    /// genes per cell and % mito, kept and filtered apart: where its QC thresholds cut.
    private func histogramSection() -> String {
        let drawn = datasets.filter { $0.countsPerCell != nil || $0.genesPerCell != nil || $0.percentMito != nil }
        guard !drawn.isEmpty else { return "" }
        var html = "<h3>Cells per dataset</h3><p>Counts per cell, genes per cell and % mitochondrial counts of every cell: kept (green) and filtered out (red)"
        html += drawn.count > Self.datasetHistograms ? "; the first \(Self.datasetHistograms) of \(drawn.count) datasets.</p>" : ".</p>"
        html += "<div id=\"dataset-histograms\">"
        for (index, dataset) in drawn.prefix(Self.datasetHistograms).enumerated() {
            html += "<div class=\"qc-row\"><div class=\"qc-name\">\(SVGPlot.escape(dataset.item))</div>"
            for (histogram, title, key) in [
                (dataset.countsPerCell, "counts per cell", "counts"), (dataset.genesPerCell, "genes per cell", "genes"),
                (dataset.percentMito, "% mito", "mito"),
            ] {
                if let histogram { html += SVGPlot.histogram(histogram, title: title, id: "qc-\(index)-\(key)") }
            }
            html += "</div>"
        }
        return html + "</div>"
    }

    /// Per analysis stage (in pipeline order): a table of the counts each item's `report.json`
    /// holds, and its histograms for the first ``datasetHistograms`` items that have them.
    private func analysisSection() -> String {
        guard !analyses.isEmpty else { return "" }
        var html = "<h2>Analyses</h2><p>What each analysis stage found in each item, from the <code>report.json</code> beside its outputs.</p>"
        let byStage = Dictionary(grouping: analyses, by: \.stage)
        let order = stages.filter { byStage[$0] != nil } + byStage.keys.filter { !stages.contains($0) }.sorted()
        for (index, stage) in order.enumerated() {
            let reports = byStage[stage]!
            var names: [String] = []
            for name in reports.flatMap({ $0.counts.map(\.name) }) where !names.contains(name) { names.append(name) }
            let kinds = Set(reports.map(\.analysis)).sorted().joined(separator: ", ")
            html += "<h3>\(SVGPlot.escape(stage)) (\(SVGPlot.escape(kinds)))</h3><table class=\"analysis\" id=\"analysis-\(index)\"><tr><th>item</th>"
            html += names.map { "<th>\(SVGPlot.escape($0))</th>" }.joined() + "</tr>"
            for report in reports {
                let values = Dictionary(report.counts.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
                html += "<tr><td>\(SVGPlot.escape(report.item))</td>"
                html += names.map { "<td>\(values[$0].map { SVGPlot.number($0, digits: 4) } ?? "")</td>" }.joined() + "</tr>"
            }
            html += "</table>"
            let drawn = reports.filter { !$0.figures.isEmpty }
            guard !drawn.isEmpty else { continue }
            if drawn.count > Self.datasetHistograms { html += "<p>Histograms of the first \(Self.datasetHistograms) of \(drawn.count) items.</p>" }
            for (row, report) in drawn.prefix(Self.datasetHistograms).enumerated() {
                html += "<div class=\"qc-row\"><div class=\"qc-name\">\(SVGPlot.escape(report.item))</div>"
                for (figure, entry) in report.figures.enumerated() {
                    html += SVGPlot.histogram(entry.histogram, title: entry.title, id: "analysis-\(index)-\(row)-\(figure)")
                }
                html += "</div>"
            }
        }
        return html
    }

    /// Per stage: attempts, completed, failed, time running, bytes written and the programs'
    /// CPU, peak memory and I/O where they were measured.
    private func stageTable() -> String {
        var html = "<h2>Stages</h2><table id=\"stages\"><tr><th>stage</th><th>attempts</th><th>completed</th><th>failed</th>"
        html += "<th>mean run</th><th>longest run</th><th>written</th><th>throughput</th><th>mean CPU</th><th>peak memory</th><th>read</th><th>written (I/O)</th></tr>"
        for stage in stages {
            let mine = attempts.filter { $0.stage == stage }
            let completed = mine.filter { $0.status == "COMPLETED" }
            let running = mine.map(\.realtime)
            let written = completed.reduce(Int64(0)) { $0 + ($1.written ?? 0) }
            let busy = completed.reduce(Int64(0)) { $0 + $1.realtime }
            let cpu = mine.compactMap(\.cpuPercent)
            let peak = mine.compactMap(\.peakRSS).max()
            let reads = mine.compactMap(\.readCalls)
            let writes = mine.compactMap(\.writeCalls)
            func size(_ value: Int64?) -> String { value.map { SVGPlot.escape(ByteSize.format($0)) } ?? "" }
            html += "<tr><td>\(SVGPlot.escape(stage))</td><td>\(mine.count)</td><td>\(completed.count)</td><td>\(mine.filter { $0.status == "FAILED" }.count)</td>"
            html += "<td>\(running.isEmpty ? "" : SVGPlot.seconds(running.reduce(0, +) / Int64(running.count)))</td><td>\(running.max().map(SVGPlot.seconds) ?? "")</td>"
            html += "<td>\(size(written))</td><td>\(busy > 0 ? SVGPlot.escape(ByteSize.format(written * 1000 / busy)) + "/s" : "")</td>"
            html += "<td>\(cpu.isEmpty ? "" : String(format: "%.0f %%", cpu.reduce(0, +) / Double(cpu.count)))</td><td>\(size(peak))</td>"
            html += "<td>\(size(reads.isEmpty ? nil : reads.reduce(0, +)))</td><td>\(size(writes.isEmpty ? nil : writes.reduce(0, +)))</td></tr>"
        }
        return html + "</table>"
    }

    /// The tasks that failed for good, or wait for a retry, with their one-sentence reasons.
    private func failureList() -> String {
        let failing = tasks.filter { ($0.state == .failed || $0.state == .retrying) && $0.failure != nil }
        guard !failing.isEmpty else { return "<h2>Failures</h2><p>None.</p>" }
        var html = "<h2>Failures</h2><table id=\"failures\"><tr><th>item</th><th>stage</th><th>state</th><th>attempts</th><th>code</th><th>reason</th></tr>"
        for task in failing {
            let stage = task.stage < stages.count ? stages[task.stage] : String(task.stage)
            html += "<tr><td>\(SVGPlot.escape(task.item))</td><td>\(SVGPlot.escape(stage))</td><td>\(task.state.rawValue)</td><td>\(task.attempts)</td>"
            html += "<td>\(SVGPlot.escape(task.failure!.code))</td><td style=\"text-align:left\">\(SVGPlot.escape(task.failure!.message))</td></tr>"
        }
        return html + "</table>"
    }

    private static func timestamp(_ seconds: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: seconds))
    }
}
