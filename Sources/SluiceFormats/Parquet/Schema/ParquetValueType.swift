/// The type of a column's values, or of a list column's elements.
///
/// Each maps to one Parquet physical type (with the `STRING` logical type for `.string`).
public enum ParquetValueType: String, Sendable, Hashable, Codable, CaseIterable {
    case boolean
    case int32
    case int64
    case float
    case double
    /// UTF-8 text, stored as `BYTE_ARRAY` annotated `STRING`.
    case string

    var physicalType: ParquetPhysicalType {
        switch self {
        case .boolean: .boolean
        case .int32: .int32
        case .int64: .int64
        case .float: .float
        case .double: .double
        case .string: .byteArray
        }
    }

    /// Bytes per value in PLAIN encoding (strings: an estimate without the text).
    var plainWidth: Int {
        switch self {
        case .boolean: 1
        case .int32, .float: 4
        case .int64, .double: 8
        case .string: 4
        }
    }
}
