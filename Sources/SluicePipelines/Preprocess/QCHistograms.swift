public import SluiceEngine

/// How a dataset's cells spread over the QC metrics — counts per cell, genes per cell and the
/// mitochondrial share — for the run report's per-dataset figures. Each metric is cut into
/// equal bins from 0 to its largest value, with cells the filters kept and cells they filtered
/// out counted apart, so the figure shows where the thresholds cut.
public struct QCHistograms: Sendable, Codable, Hashable {
    /// One metric's histogram, as the run report reads it.
    public typealias Histogram = DatasetQC.Histogram

    /// Bins per metric.
    public static let bins = Histogram.bins

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
