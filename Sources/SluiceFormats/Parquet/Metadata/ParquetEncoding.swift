/// A Parquet value or level encoding (the `Encoding` enum of parquet.thrift).
///
/// Unknown values read from a file are kept as `.other(raw)` so that a summary can still list them.
public enum ParquetEncoding: Sendable, Hashable, CustomStringConvertible {
    case plain
    case plainDictionary
    case rle
    case bitPacked
    case deltaBinaryPacked
    case deltaLengthByteArray
    case deltaByteArray
    case rleDictionary
    case byteStreamSplit
    case other(Int32)

    init(rawValue: Int32) {
        switch rawValue {
        case 0: self = .plain
        case 2: self = .plainDictionary
        case 3: self = .rle
        case 4: self = .bitPacked
        case 5: self = .deltaBinaryPacked
        case 6: self = .deltaLengthByteArray
        case 7: self = .deltaByteArray
        case 8: self = .rleDictionary
        case 9: self = .byteStreamSplit
        default: self = .other(rawValue)
        }
    }

    var rawValue: Int32 {
        switch self {
        case .plain: 0
        case .plainDictionary: 2
        case .rle: 3
        case .bitPacked: 4
        case .deltaBinaryPacked: 5
        case .deltaLengthByteArray: 6
        case .deltaByteArray: 7
        case .rleDictionary: 8
        case .byteStreamSplit: 9
        case .other(let raw): raw
        }
    }

    /// The encoding's parquet.thrift name, e.g. `PLAIN` (`ENCODING_<n>` for one Sluice does not know).
    public var description: String {
        switch self {
        case .plain: "PLAIN"
        case .plainDictionary: "PLAIN_DICTIONARY"
        case .rle: "RLE"
        case .bitPacked: "BIT_PACKED"
        case .deltaBinaryPacked: "DELTA_BINARY_PACKED"
        case .deltaLengthByteArray: "DELTA_LENGTH_BYTE_ARRAY"
        case .deltaByteArray: "DELTA_BYTE_ARRAY"
        case .rleDictionary: "RLE_DICTIONARY"
        case .byteStreamSplit: "BYTE_STREAM_SPLIT"
        case .other(let raw): "ENCODING_\(raw)"
        }
    }
}
