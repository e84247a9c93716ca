/// One cell of a row shown by `sluice inspect`: a value, a list, or null. Encodes as plain JSON.
public enum ParquetCellValue: Sendable, Hashable, Encodable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case list([ParquetCellValue])

    /// Row `row` of `data`, with lists cut to `maxListLength` elements (longer ones end in "…").
    static func cell(_ data: ParquetColumnData, row: Int, maxListLength: Int) -> ParquetCellValue {
        func value(_ index: Int) -> ParquetCellValue {
            switch data.values {
            case .boolean(let v): .bool(v[index])
            case .int32(let v): .int(Int64(v[index]))
            case .int64(let v): .int(v[index])
            case .float(let v): .double(Double(v[index]))
            case .double(let v): .double(v[index])
            case .string(let v): .string(v[index])
            }
        }
        if data.isNull(row) { return .null }
        guard let offsets = data.listOffsets else { return value(row) }
        let range = offsets[row]..<offsets[row + 1]
        var items = range.prefix(maxListLength).map(value)
        if range.count > maxListLength { items.append(.string("… \(range.count - maxListLength) more")) }
        return .list(items)
    }

    /// Encodes as plain JSON: `null`, a bool, number or string, or an array.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        case .list(let values): try container.encode(values)
        }
    }

    /// The value as text: `null`, the bool, number or string, or a list as `[a, b]`.
    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        case .list(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
