/// A Parquet page compression codec (the `CompressionCodec` enum of parquet.thrift).
///
/// Sluice writes `.zstd` (the default), `.snappy` and `.uncompressed`, and also reads `.gzip`.
/// Other codecs read from a file are kept as `.other(raw)` so that a summary can name them.
public enum ParquetCompression: Sendable, Hashable, CustomStringConvertible {
    case uncompressed
    case snappy
    case gzip
    case zstd
    case other(Int32)

    init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .uncompressed
        case 1: self = .snappy
        case 2: self = .gzip
        case 6: self = .zstd
        default: self = .other(rawValue)
        }
    }

    var rawValue: Int32 {
        switch self {
        case .uncompressed: 0
        case .snappy: 1
        case .gzip: 2
        case .zstd: 6
        case .other(let raw): raw
        }
    }

    /// The codec's parquet.thrift name, e.g. `ZSTD` (`CODEC_<n>` for a code without a name).
    public var description: String {
        switch self {
        case .uncompressed: "UNCOMPRESSED"
        case .snappy: "SNAPPY"
        case .gzip: "GZIP"
        case .zstd: "ZSTD"
        case .other(3): "LZO"
        case .other(4): "BROTLI"
        case .other(5): "LZ4"
        case .other(7): "LZ4_RAW"
        case .other(let raw): "CODEC_\(raw)"
        }
    }
}
