/// How Parquet stores a column's values on disk (the `Type` enum of parquet.thrift).
public enum ParquetPhysicalType: Int32, Sendable, Hashable, Codable, CustomStringConvertible {
    case boolean = 0
    case int32 = 1
    case int64 = 2
    case int96 = 3
    case float = 4
    case double = 5
    case byteArray = 6
    case fixedLengthByteArray = 7

    /// The type's parquet.thrift name, e.g. `INT32`.
    public var description: String {
        switch self {
        case .boolean: "BOOLEAN"
        case .int32: "INT32"
        case .int64: "INT64"
        case .int96: "INT96"
        case .float: "FLOAT"
        case .double: "DOUBLE"
        case .byteArray: "BYTE_ARRAY"
        case .fixedLengthByteArray: "FIXED_LEN_BYTE_ARRAY"
        }
    }
}
