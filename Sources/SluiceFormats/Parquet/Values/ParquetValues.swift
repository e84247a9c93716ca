/// A typed, contiguous array of values: one per row of a scalar column, or the concatenated
/// elements of a list column.
public enum ParquetValues: Sendable, Hashable {
    case boolean([Bool])
    case int32([Int32])
    case int64([Int64])
    case float([Float])
    case double([Double])
    case string(ParquetStrings)

    /// How many values there are.
    public var count: Int {
        switch self {
        case .boolean(let values): values.count
        case .int32(let values): values.count
        case .int64(let values): values.count
        case .float(let values): values.count
        case .double(let values): values.count
        case .string(let values): values.count
        }
    }

    /// The type of the values.
    public var valueType: ParquetValueType {
        switch self {
        case .boolean: .boolean
        case .int32: .int32
        case .int64: .int64
        case .float: .float
        case .double: .double
        case .string: .string
        }
    }

    /// No values of `type`.
    public static func empty(_ type: ParquetValueType) -> ParquetValues {
        switch type {
        case .boolean: .boolean([])
        case .int32: .int32([])
        case .int64: .int64([])
        case .float: .float([])
        case .double: .double([])
        case .string: .string(ParquetStrings())
        }
    }

    /// Values `range` as a new value.
    public func slice(_ range: Range<Int>) -> ParquetValues {
        switch self {
        case .boolean(let values): .boolean(Array(values[range]))
        case .int32(let values): .int32(Array(values[range]))
        case .int64(let values): .int64(Array(values[range]))
        case .float(let values): .float(Array(values[range]))
        case .double(let values): .double(Array(values[range]))
        case .string(let values): .string(values.slice(range))
        }
    }

    /// `parts` (all of `type`) joined into one array, built with one allocation per buffer.
    static func concatenated(_ parts: [ParquetValues], type: ParquetValueType) -> ParquetValues {
        let total = parts.reduce(0) { $0 + $1.count }
        func join<T>(_ extract: (ParquetValues) -> [T]?) -> [T] {
            var joined: [T] = []
            joined.reserveCapacity(total)
            for part in parts { if let values = extract(part) { joined += values } }
            return joined
        }
        switch type {
        case .boolean: return .boolean(join { if case .boolean(let v) = $0 { v } else { nil } })
        case .int32: return .int32(join { if case .int32(let v) = $0 { v } else { nil } })
        case .int64: return .int64(join { if case .int64(let v) = $0 { v } else { nil } })
        case .float: return .float(join { if case .float(let v) = $0 { v } else { nil } })
        case .double: return .double(join { if case .double(let v) = $0 { v } else { nil } })
        case .string:
            var joined = ParquetStrings()
            var byteCount = 0
            for part in parts { if case .string(let v) = part { byteCount += v.bytes.count } }
            joined.reserveCapacity(strings: total, bytes: byteCount)
            for part in parts { if case .string(let v) = part { joined.append(contentsOf: v) } }
            return .string(joined)
        }
    }
}
