import SluiceFormats
public import SluiceKernels

/// Options of the convert step (tokenization).
public struct ConvertOptions: Sendable, Hashable, Codable {
    /// Cells per streamed batch (and per interim chunk file).
    public var chunkSize = 10_000
    /// Bytes at which a shard is closed and the next begun (whole chunks: a shard may pass it by
    /// one chunk's rows).
    public var shardBytes = 500_000_000
    /// Tokens kept per cell (genes; ``wrap``'s tokens come on top).
    public var topGenes = 2_000
    /// Whether scores are computed in Geneformer's order of operations
    /// (``SluiceKernels/RankValueTokenizer/geneformerOrder``).
    public var geneformerOrder = false
    /// Tokens put before and after each cell's genes; nil: none.
    public var wrap: TokenWrap?
    public var filter = CellFilter()
    /// Most non-zero values held at once while finding medians (see ``NonzeroMedianEstimator``).
    public var medianValueBudget = 24 << 20
    /// zstd level of the Parquet files.
    public var zstdLevel: Int32 = 3
    /// Whether Parquet files are compressed (`--compression zstd`) or not (`none`).
    public var compressed = true
    /// Whether values with a fraction (a normalized matrix) are ranked anyway
    /// (`--allow-non-counts`); otherwise the first one is an error.
    public var allowsNonCounts = false

    /// zstd level of interim chunks, which are read once more and deleted: fast beats small.
    public var interimZstdLevel: Int32 = 1

    public init() {}

    /// Writer options for final shards.
    func writerOptions(_ metadata: [String: String]) -> ParquetWriterOptions {
        var options = ParquetWriterOptions(compression: compressed ? .zstd : .uncompressed, zstdLevel: zstdLevel)
        options.keyValueMetadata = metadata
        return options
    }

    /// Writer options for interim chunks.
    func interimWriterOptions(_ metadata: [String: String]) -> ParquetWriterOptions {
        var options = ParquetWriterOptions(compression: compressed ? .zstd : .uncompressed, zstdLevel: interimZstdLevel)
        options.keyValueMetadata = metadata
        return options
    }
}
