public import SluiceKernels

/// Options of the convert step (tokenization).
public struct ConvertOptions: Sendable, Hashable, Codable {
    /// Cells per streamed batch (and per interim chunk file).
    public var chunkSize = 10_000
    /// Tokens kept per cell.
    public var topGenes = 2_000
    public var filter = CellFilter()
    /// Most non-zero values held at once while finding medians (see ``NonzeroMedianEstimator``).
    public var medianValueBudget = 24 << 20
    /// zstd level of the Parquet files.
    public var zstdLevel: Int32 = 3
    /// Whether Parquet files are compressed (`--compression zstd`) or not (`none`).
    public var compressed = true

    public init() {}
}
