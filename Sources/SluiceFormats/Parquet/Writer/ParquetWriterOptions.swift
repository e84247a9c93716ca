/// How a `ParquetWriter` encodes and compresses a file.
///
/// The defaults follow pyarrow's where they matter for compatibility (1 MiB pages, a 1 MiB
/// dictionary limit, v1 data pages) and differ where Sluice's data differ: row groups are cut by
/// size, not by row count, because token lists make rows large and uneven.
public struct ParquetWriterOptions: Sendable, Hashable {
    /// Which data page layout to write.
    public enum DataPageVersion: Sendable, Hashable {
        /// `DATA_PAGE`: levels and values compressed together; read by every Parquet reader.
        case v1
        /// `DATA_PAGE_V2`: levels stored uncompressed ahead of the compressed values.
        case v2
    }

    /// The page codec: `.zstd` (default), `.snappy` or `.uncompressed`.
    public var compression: ParquetCompression = .zstd
    /// The zstd level (1 is fastest; 3 is zstd's own default).
    public var zstdLevel: Int32 = 3
    /// A row group is written once the buffered rows hold about this many bytes (uncompressed).
    public var rowGroupByteSize: Int = 128 << 20
    /// Data pages are cut at row boundaries once they hold about this many value bytes.
    public var pageByteSize: Int = 1 << 20
    /// Whether to try dictionary encoding (`RLE_DICTIONARY`) for non-boolean columns.
    public var dictionaryEnabled = true
    /// A column chunk whose dictionary would exceed this many bytes is written PLAIN instead.
    public var dictionaryPageByteLimit: Int = 1 << 20
    /// The data page layout.
    public var dataPageVersion: DataPageVersion = .v1
    /// Key-value metadata stored in the footer (vocabularies, provenance), written sorted by key so
    /// that the same input gives the same bytes.
    public var keyValueMetadata: [String: String] = [:]
    /// Whether to compute and store min/max/null-count statistics per column chunk.
    public var statisticsEnabled = true

    /// Default options: zstd level 3, 128 MiB row groups, 1 MiB pages, dictionaries on.
    public init() {}

    /// Options with `compression`, and everything else at its default.
    public init(compression: ParquetCompression, zstdLevel: Int32 = 3) {
        self.compression = compression
        self.zstdLevel = zstdLevel
    }
}
