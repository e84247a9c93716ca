import Foundation
import SluiceTestSupport
import Testing

/// `make demo`, the README's first command: the demo's pipeline finishes every good dataset under
/// its small budget, only the corrupt file fails, with its reason, and it writes the report.
@Suite struct DemoTests {
    @Test func theDemoFinishesEverythingButTheCorruptFile() async throws {
        let folder = try TemporaryDirectory("sluice-demo")
        let run = try await SluiceBinary.run(["demo", "--directory", folder.file("demo"), "--datasets", "6"], in: folder.path, timeout: 600)
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("6 of 7 items done, 1 failed"), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("The corrupt file failed alone"), "\(run.standardOutput)")
        // It ends with the run's report.
        let report = folder.file("demo/work/logs/report.html")
        #expect(run.standardOutput.contains("Report:  \(report)"), "\(run.standardOutput)")
        let page = try String(contentsOfFile: report, encoding: .utf8)
        #expect(page.contains("id=\"items-done\">6<") && page.contains("id=\"items-failed\">1<"))
        // Each preprocessed dataset's QC, as its report.json says: a row with its cells and kept cells.
        #expect(page.contains("id=\"datasets-plot\""))
        for index in 1...6 {
            let data = try Data(contentsOf: URL(fileURLWithPath: folder.file("demo/work/output/donor_\(index)/report.json")))
            let convert = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["convert"] as? [String: Any])
            let (cells, kept) = (try #require(convert["cells"] as? Int), try #require(convert["keptCells"] as? Int))
            #expect(page.contains("<tr><td>donor_\(index)</td><td>\(cells)</td><td>\(kept)</td>"), "donor_\(index): \(cells) cells, \(kept) kept")
            // Its histograms hold every cell, its kept ones as kept.
            for metric in ["counts", "genes", "mito"] {
                let bins = Self.bins(in: page, id: "qc-\(index - 1)-\(metric)")
                #expect(bins.reduce(0) { $0 + $1.kept } == kept && bins.reduce(0) { $0 + $1.kept + $1.filtered } == cells, "donor_\(index) \(metric): \(bins)")
            }
        }
    }

    /// The (kept, filtered) cells of each bin drawn in the report's histogram `id`, read from the
    /// bars' tooltips ("A–B: K kept, F filtered", on each bar of a bin).
    static func bins(in page: String, id: String) -> [(kept: Int, filtered: Int)] {
        guard let start = page.range(of: "id=\"\(id)\""), let end = page.range(of: "</svg>", range: start.upperBound..<page.endIndex) else { return [] }
        var seen: [String: (kept: Int, filtered: Int)] = [:]
        for match in page[start.upperBound..<end.lowerBound].matches(of: /<title>([^:<]+): (\d+) kept, (\d+) filtered<\/title>/) {
            seen[String(match.1)] = (Int(match.2)!, Int(match.3)!)
        }
        return Array(seen.values)
    }
}
