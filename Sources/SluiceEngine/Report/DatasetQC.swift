import Foundation

/// One dataset's quality control as its `preprocess` stage wrote it (`output/<item>/report.json`,
/// its `convert` section): cells read, kept and filtered, and the medians of genes and counts per
/// cell and of the mitochondrial share, and how the cells spread over those three — for the
/// report's per-dataset figures and table.
public struct DatasetQC: Sendable, Hashable {
    /// One metric's histogram as report.json holds it: bin `i` covers `[i × binWidth, (i + 1) ×
    /// binWidth)` (the last bin also holds the largest value), its cells kept and filtered out
    /// counted apart, so the figure shows where the thresholds cut.
    public struct Histogram: Sendable, Codable, Hashable {
        /// Bins a histogram has at most.
        public static let bins = 40

        public var binWidth: Double
        public var kept: [Int]
        public var filtered: [Int]

        public init(binWidth: Double, kept: [Int], filtered: [Int]) {
            self.binWidth = binWidth
            self.kept = kept
            self.filtered = filtered
        }

        /// Bins `values` (`kept[i]` says whether value `i` passed the filters) into at most
        /// `bins` bins of a round width (1, 2 or 5 × a power of ten) from 0 to the largest value.
        public init(values: some Collection<Double>, kept: [Bool], bins: Int = Histogram.bins) {
            let largest = values.reduce(0) { Swift.max($0, $1.isFinite ? $1 : 0) }
            binWidth = Self.roundWidth(covering: largest, in: bins)
            let count = largest > 0 ? Swift.min(bins, Int((largest / binWidth).rounded(.down)) + 1) : 1
            var keptValues = [Int](repeating: 0, count: count)
            var filteredValues = [Int](repeating: 0, count: count)
            for (index, value) in values.enumerated() {
                let bin = value.isFinite && value > 0 ? Swift.min(count - 1, Int(value / binWidth)) : 0
                if kept[index] { keptValues[bin] += 1 } else { filteredValues[bin] += 1 }
            }
            self.kept = keptValues
            self.filtered = filteredValues
        }

        /// The smallest width of the form 1, 2 or 5 × 10^k with `bins` bins reaching past `largest`.
        static func roundWidth(covering largest: Double, in bins: Int) -> Double {
            guard largest > 0 else { return 1 }
            let raw = largest / Double(bins)
            var scale = 1.0
            while scale * 10 <= raw { scale *= 10 }
            while scale > raw { scale /= 10 }
            for step in [1.0, 2, 5, 10] where step * scale * Double(bins) > largest { return step * scale }
            return 10 * scale
        }

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
