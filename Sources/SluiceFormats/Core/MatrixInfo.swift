/// How a count matrix is stored, for `sluice inspect` and for choosing read strategies.
public struct MatrixInfo: Hashable, Sendable, Codable {
    /// `csr`, `csc`, `dense`, `dense (genes × cells)` or `coordinate`.
    public var layout: String
    /// The stored value type, e.g. `float32`, `int32`.
    public var valueType: String
    /// Stored entries (non-zeros for sparse layouts), when known without a full read.
    public var storedCount: Int?
    /// The filters applied to the values, e.g. `["gzip (filter id 1)"]`.
    public var compression: [String]
    /// Chunk extent of the values, when chunked.
    public var chunkShape: [Int]?
    /// Whether compressed chunks are inflated on several cores.
    public var parallelDecompression: Bool

    /// A description with every field given.
    public init(
        layout: String, valueType: String, storedCount: Int?, compression: [String], chunkShape: [Int]?,
        parallelDecompression: Bool
    ) {
        self.layout = layout
        self.valueType = valueType
        self.storedCount = storedCount
        self.compression = compression
        self.chunkShape = chunkShape
        self.parallelDecompression = parallelDecompression
    }
}
