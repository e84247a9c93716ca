/// Picking rows out of a column (for splitting a table into parts).
extension ParquetColumnData {
    /// The rows at `rows` (ascending or not), as a new value.
    public func selecting(_ rows: [Int]) -> ParquetColumnData {
        let pickedValidity = validity.map { mask in rows.map { mask[$0] } }
        guard let listOffsets else {
            return ParquetColumnData(values.selecting(rows), validity: pickedValidity)
        }
        var elements: [Int] = []
        var offsets = [0]
        offsets.reserveCapacity(rows.count + 1)
        for row in rows {
            elements.append(contentsOf: listOffsets[row]..<listOffsets[row + 1])
            offsets.append(elements.count)
        }
        return ParquetColumnData(lists: values.selecting(elements), offsets: offsets, validity: pickedValidity)
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
        case .string(let v):
            .string(
                indices.reduce(into: ParquetStrings()) { strings, index in
                    strings.append(bytes: v.bytes[v.offsets[index]..<v.offsets[index + 1]])
                })
        }
    }
}

extension ParquetRowBatch {
    /// The rows at `rows`, every column.
    public func selecting(_ rows: [Int]) -> ParquetRowBatch {
        ParquetRowBatch(columns.map { $0.selecting(rows) })
    }
}
