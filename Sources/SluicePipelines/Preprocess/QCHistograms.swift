/// How a dataset's cells spread over the QC metrics — counts per cell, genes per cell and the
/// mitochondrial share — for the run report's per-dataset figures. Each metric is cut into
/// equal bins from 0 to its largest value, with cells the filters kept and cells they filtered
/// out counted apart, so the figure shows where the thresholds cut.
public struct QCHistograms: Sendable, Codable, Hashable {
    /// One metric's histogram: bin `i` holds the cells whose value is in
    /// `[i × binWidth, (i + 1) × binWidth)` (the last bin also holds the largest value).
    public struct Histogram: Sendable, Codable, Hashable {
        public var binWidth: Double
        public var kept: [Int]
        public var filtered: [Int]

        /// Bins a metric's `values` (one per cell; `kept[i]` says whether cell `i` passed the
        /// filters) into at most `bins` bins of a round width (1, 2 or 5 × a power of ten).
        public init(values: some Collection<Double>, kept: [Bool], bins: Int = QCHistograms.bins) {
            let largest = values.reduce(0) { Swift.max($0, $1.isFinite ? $1 : 0) }
            binWidth = Self.roundWidth(covering: largest, in: bins)
            let count = largest > 0 ? Swift.min(bins, Int((largest / binWidth).rounded(.down)) + 1) : 1
            var keptCells = [Int](repeating: 0, count: count)
            var filteredCells = [Int](repeating: 0, count: count)
            for (cell, value) in values.enumerated() {
                let bin = value.isFinite && value > 0 ? Swift.min(count - 1, Int(value / binWidth)) : 0
                if kept[cell] { keptCells[bin] += 1 } else { filteredCells[bin] += 1 }
            }
            self.kept = keptCells
            self.filtered = filteredCells
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
    }

    /// Bins per metric.
    public static let bins = 40

    public var countsPerCell: Histogram
    public var genesPerCell: Histogram
    public var percentMito: Histogram

    /// The three histograms of a dataset's per-cell metrics (`kept[i]`: whether cell `i` passed).
    public init(counts: [Double], genes: [Int32], percentMito: [Double], kept: [Bool]) {
        countsPerCell = Histogram(values: counts, kept: kept)
        genesPerCell = Histogram(values: genes.lazy.map(Double.init), kept: kept)
        self.percentMito = Histogram(values: percentMito, kept: kept)
    }
}
