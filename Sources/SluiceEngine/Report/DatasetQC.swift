import Foundation

/// One dataset's quality control as its `preprocess` stage wrote it (`output/<item>/report.json`,
/// its `convert` section): cells read, kept and filtered, and the medians of genes and counts per
/// cell and of the mitochondrial share, and how the cells spread over those three — for the
/// report's per-dataset figures and table.
public struct DatasetQC: Sendable, Hashable {
    /// One metric's histogram as report.json holds it: bin `i` covers `[i × binWidth, (i + 1) ×
    /// binWidth)`, its cells kept and filtered out counted apart.
    public struct Histogram: Sendable, Hashable {
        public var binWidth: Double
        public var kept: [Int]
        public var filtered: [Int]

        /// The histogram under `key` of a report's `histograms` object; nil when absent or malformed.
        static func read(_ object: [String: Any]?, _ key: String) -> Histogram? {
            guard let histogram = object?[key] as? [String: Any], let width = (histogram["binWidth"] as? NSNumber)?.doubleValue, width > 0,
                let kept = histogram["kept"] as? [Int], let filtered = histogram["filtered"] as? [Int], kept.count == filtered.count, !kept.isEmpty
            else { return nil }
            return Histogram(binWidth: width, kept: kept, filtered: filtered)
        }
    }

    public var item: String
    public var cells: Int
    public var kept: Int
    public var dropped: Int
    public var medianGenes: Double?
    public var medianCounts: Double?
    public var medianPercentMito: Double?
    public var countsPerCell: Histogram?
    public var genesPerCell: Histogram?
    public var percentMito: Histogram?

    /// Every `<output>/<item>/report.json` that has a `convert` section, by item name; files that
    /// are missing, unreadable or of another kind are passed over.
    public static func read(outputFolder: String) -> [DatasetQC] {
        let items = ((try? FileManager.default.contentsOfDirectory(atPath: outputFolder)) ?? []).sorted()
        return items.compactMap { item in
            guard let data = FileManager.default.contents(atPath: outputFolder + "/" + item + "/report.json"),
                let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
                let convert = report["convert"] as? [String: Any], let cells = convert["cells"] as? Int
            else { return nil }
            let kept = convert["keptCells"] as? Int ?? cells
            let histograms = convert["histograms"] as? [String: Any]
            return DatasetQC(
                item: item, cells: cells, kept: kept, dropped: convert["droppedCells"] as? Int ?? cells - kept,
                medianGenes: (convert["medianGenes"] as? NSNumber)?.doubleValue, medianCounts: (convert["medianCounts"] as? NSNumber)?.doubleValue,
                medianPercentMito: (convert["medianPercentMito"] as? NSNumber)?.doubleValue,
                countsPerCell: Histogram.read(histograms, "countsPerCell"), genesPerCell: Histogram.read(histograms, "genesPerCell"),
                percentMito: Histogram.read(histograms, "percentMito"))
        }
    }
}
