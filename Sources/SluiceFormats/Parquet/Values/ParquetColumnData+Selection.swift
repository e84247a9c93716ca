/// Picking rows out of a column (for splitting a table into parts).
extension ParquetColumnData {
    /// The rows at `rows` (ascending or not), as a new value.
    public func selecting(_ rows: [Int]) -> ParquetColumnData {
        let pickedValidity = validity.map { mask in rows.map { mask[$0] } }
        guard let listOffsets else {
            return ParquetColumnData(values.selecting(rows), validity: pickedValidity)
        }
        var offsets = [0]
        offsets.reserveCapacity(rows.count + 1)
        let lists = rows.map { listOffsets[$0]..<listOffsets[$0 + 1] }
        for list in lists { offsets.append(offsets.last! + list.count) }
        return ParquetColumnData(lists: values.selecting(ranges: lists, count: offsets.last!), offsets: offsets, validity: pickedValidity)
    }
}

extension ParquetStrings {
    /// The strings at `indices`.
    func selecting(_ indices: [Int]) -> ParquetStrings {
        indices.reduce(into: ParquetStrings()) { strings, index in
            strings.append(bytes: bytes[offsets[index]..<offsets[index + 1]])
        }
    }
}

extension ParquetValues {
    /// The values at `indices`.
    public func selecting(_ indices: [Int]) -> ParquetValues {
        switch self {
        case .boolean(let v): .boolean(indices.map { v[$0] })
        case .int32(let v): .int32(indices.map { v[$0] })
        case .int64(let v): .int64(indices.map { v[$0] })
        case .float(let v): .float(indices.map { v[$0] })
        case .double(let v): .double(indices.map { v[$0] })
        case .string(let v): .string(v.selecting(indices))
        }
    }
}

extension ParquetValues {
    /// The values in `ranges`, one after another (`count` of them in all): list elements of
    /// picked rows, copied a list at a time.
    public func selecting(ranges: [Range<Int>], count: Int) -> ParquetValues {
        func pick<T>(_ values: [T]) -> [T] {
            var picked: [T] = []
            picked.reserveCapacity(count)
            for range in ranges { picked.append(contentsOf: values[range]) }
            return picked
        }
        switch self {
        case .boolean(let v): return .boolean(pick(v))
        case .int32(let v): return .int32(pick(v))
        case .int64(let v): return .int64(pick(v))
        case .float(let v): return .float(pick(v))
        case .double(let v): return .double(pick(v))
        case .string(let v): return .string(v.selecting(Array(ranges.joined())))
        }
    }
}

extension ParquetRowBatch {
    /// The rows at `rows`, every column.
    public func selecting(_ rows: [Int]) -> ParquetRowBatch {
        ParquetRowBatch(columns.map { $0.selecting(rows) })
    }
}
