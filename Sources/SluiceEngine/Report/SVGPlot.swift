import Foundation

/// The report's figures, written as inline SVG by Sluice itself: the page opens offline with no
/// script or library to load, and stays small (a rectangle per attempt, a polyline per series).
enum SVGPlot {
    /// Attempts up to which the timeline gives each bar its own element and tooltip.
    static let titledAttempts = 2_000

    /// Colours for stages (in pipeline order, repeated) and series.
    static let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"]

    /// A Nextflow-like timeline: one lane per attempt in submit order, a light bar while it
    /// waited for space and a bar in its stage's colour while it ran (outlined red when it
    /// failed; all red past ``titledAttempts``), on a time axis in seconds from the first submit.
    static func timeline(_ attempts: [TracedAttempt], stages: [String], width: Double = 960) -> String {
        guard let first = attempts.map(\.submit).min(), let last = attempts.map(\.complete).max() else { return "<p>No task attempts were traced.</p>" }
        let lane: Double = attempts.count > 1000 ? 3 : attempts.count > 200 ? 6 : 12
        let left = 40.0
        let plot = width - left - 30
        let span = Double(max(1, last - first))
        let height = Double(attempts.count) * lane + 30
        func x(_ time: Int64) -> String { format(left + Double(time - first) / span * plot) }
        func w(_ from: Int64, _ to: Int64) -> String { format(max(0.5, Double(to - from) / span * plot)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" width=\"\(format(width))\" height=\"\(format(height))\">"
        // Up to `titledAttempts`, a rectangle per bar with the attempt as its tooltip; beyond,
        // one path per colour holding every bar of it, so that a long run's page stays quick to
        // open (a few elements, not tens of thousands).
        let titled = attempts.count <= titledAttempts
        var paths: [String: String] = [:]
        for (row, attempt) in attempts.enumerated() {
            let y = Double(row) * lane
            let h = format(max(1, lane - 1))
            let running = attempt.start ?? attempt.submit
            let colour = palette[(stages.firstIndex(of: attempt.stage) ?? 0) % palette.count]
            let failed = attempt.status != "COMPLETED"
            guard titled else {
                if running > attempt.submit { paths["#ddd", default: ""] += "M\(x(attempt.submit)) \(format(y))h\(w(attempt.submit, running))v\(h)H\(x(attempt.submit))z" }
                paths[failed ? "#d62728" : colour, default: ""] += "M\(x(running)) \(format(y))h\(w(running, attempt.complete))v\(h)H\(x(running))z"
                continue
            }
            if running > attempt.submit {
                svg += "<rect x=\"\(x(attempt.submit))\" y=\"\(format(y))\" width=\"\(w(attempt.submit, running))\" height=\"\(h)\" fill=\"#ddd\"/>"
            }
            let stroke = failed ? " stroke=\"#d62728\" stroke-width=\"1\"" : ""
            svg += "<rect x=\"\(x(running))\" y=\"\(format(y))\" width=\"\(w(running, attempt.complete))\" height=\"\(h)\" fill=\"\(colour)\"\(stroke)>"
            svg += "<title>\(escape("\(attempt.stage) (\(attempt.item)) attempt \(attempt.attempt): \(attempt.status), \(seconds(attempt.realtime))"))</title></rect>"
        }
        for (colour, path) in paths.sorted(by: { $0.key < $1.key }) { svg += "<path fill=\"\(colour)\" d=\"\(path)\"/>" }
        svg += axis(y: Double(attempts.count) * lane, left: left, plot: plot, span: span)
        return svg + "</svg>"
    }

    /// A small histogram: kept cells (green) stacked under filtered ones (red) per bin, the
    /// axis labelled with the range's ends, and `title` above it.
    static func histogram(_ histogram: DatasetQC.Histogram, title: String, id: String, width: Double = 220, height: Double = 90) -> String {
        let (top, bottom) = (14.0, 14.0)
        let plot = height - top - bottom
        let tallest = Double(zip(histogram.kept, histogram.filtered).map { $0 + $1 }.max() ?? 1)
        let bar = width / Double(histogram.kept.count)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"histogram\" id=\"\(escape(id))\" width=\"\(format(width))\" height=\"\(format(height))\">"
        svg += "<text x=\"0\" y=\"10\" font-size=\"10\">\(escape(title))</text>"
        for (bin, (kept, filtered)) in zip(histogram.kept, histogram.filtered).enumerated() where kept + filtered > 0 {
            let x = format(Double(bin) * bar)
            let keptHeight = Double(kept) / max(1, tallest) * plot
            let filteredHeight = Double(filtered) / max(1, tallest) * plot
            let range = "\(number(Double(bin) * histogram.binWidth))–\(number(Double(bin + 1) * histogram.binWidth))"
            let tip = "<title>\(range): \(kept) kept, \(filtered) filtered</title>"
            let barWidth = format(max(0.5, bar - 0.5))
            if kept > 0 {
                svg += "<rect x=\"\(x)\" y=\"\(format(top + plot - keptHeight))\" width=\"\(barWidth)\" height=\"\(format(keptHeight))\" fill=\"#2ca02c\">\(tip)</rect>"
            }
            if filtered > 0 {
                let y = format(top + plot - keptHeight - filteredHeight)
                svg += "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(barWidth)\" height=\"\(format(filteredHeight))\" fill=\"#d62728\">\(tip)</rect>"
            }
        }
        let end = number(Double(histogram.kept.count) * histogram.binWidth)
        svg += "<text x=\"0\" y=\"\(format(height - 2))\" font-size=\"9\">0</text>"
        svg += "<text x=\"\(format(width))\" y=\"\(format(height - 2))\" font-size=\"9\" text-anchor=\"end\">\(end)</text>"
        return svg + "</svg>"
    }

    /// A number as text: whole numbers without a fraction, others with up to `digits`
    /// significant digits (bin edges with three; the report's tables ask for more).
    static func number(_ value: Double, digits: Int = 3) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(format: "%.\(digits)g", value)
    }

    /// Lines over time (seconds from `origin`), one per series, against `limit` drawn dashed;
    /// values in bytes.
    static func lines(
        _ series: [(name: String, points: [(time: Double, value: Double)])], limit: Double?, origin: Double, end: Double, width: Double = 960,
        label: (Double) -> String = { ByteSize.format(Int64($0)) }
    ) -> String {
        let height = 220.0
        let left = 40.0
        let plot = width - left - 30
        let top = max(limit ?? 0, series.flatMap(\.points).map(\.value).max() ?? 0, 1) * 1.05
        let span = max(1, end - origin)
        func x(_ time: Double) -> String { format(left + (time - origin) / span * plot) }
        func y(_ value: Double) -> String { format(10 + (1 - value / top) * (height - 40)) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"lines\" width=\"\(format(width))\" height=\"\(format(height))\">"
        for fraction in [0.0, 0.5, 1.0] {
            let value = top / 1.05 * fraction
            svg += "<text x=\"2\" y=\"\(y(value))\" font-size=\"9\">\(escape(label(value)))</text>"
        }
        if let limit {
            svg += "<line x1=\"\(format(left))\" x2=\"\(format(left + plot))\" y1=\"\(y(limit))\" y2=\"\(y(limit))\" stroke=\"#d62728\" stroke-dasharray=\"4 3\"/>"
        }
        for (index, line) in series.enumerated() where !line.points.isEmpty {
            let colour = palette[index % palette.count]
            let points = line.points.map { "\(x($0.time)),\(y($0.value))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" points=\"\(points)\"><title>\(escape(line.name))</title></polyline>"
            svg += "<text x=\"\(format(left + 8 + Double(index) * 110))\" y=\"\(format(height - 2))\" font-size=\"10\" fill=\"\(colour)\">\(escape(line.name))</text>"
        }
        svg += axis(y: height - 30, left: left, plot: plot, span: span * 1000)
        return svg + "</svg>"
    }

    /// A time axis at `y` with ticks in seconds (`span` in milliseconds).
    private static func axis(y: Double, left: Double, plot: Double, span: Double) -> String {
        var svg = "<line x1=\"\(format(left))\" x2=\"\(format(left + plot))\" y1=\"\(format(y))\" y2=\"\(format(y))\" stroke=\"#888\"/>"
        for tick in 0...4 {
            let at = left + plot * Double(tick) / 4
            svg += "<text x=\"\(format(at))\" y=\"\(format(y + 12))\" font-size=\"9\" text-anchor=\"middle\">\(escape(seconds(Int64(span * Double(tick) / 4))))</text>"
        }
        return svg
    }

    /// Milliseconds as `850 ms`, `12.3 s` or `4.5 min`.
    static func seconds(_ milliseconds: Int64) -> String {
        if milliseconds < 1000 { return "\(milliseconds) ms" }
        if milliseconds < 120_000 { return String(format: "%.1f s", Double(milliseconds) / 1000) }
        return String(format: "%.1f min", Double(milliseconds) / 60_000)
    }

    /// Text safe inside HTML and SVG.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    private static func format(_ value: Double) -> String { String(format: "%.1f", value) }
}
