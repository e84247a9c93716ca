/// The `PageValueSource` of `Int32`, `Int64`, `Float` and `Double` columns.
struct FixedWidthValueSource<Value: ParquetFixedWidthValue>: PageValueSource {
    let values: [Value]

    var count: Int { values.count }

    func plainByteCount(_ range: Range<Int>) -> Int { range.count * MemoryLayout<Value>.stride }

    func appendPlain(_ range: Range<Int>, to body: inout [UInt8]) {
        // Parquet is little-endian, as are the machines Sluice runs on, so PLAIN is a memcpy.
        values.withUnsafeBytes { raw in
            let stride = MemoryLayout<Value>.stride
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: raw[(range.lowerBound * stride)..<(range.upperBound * stride)]))
        }
    }

    func bounds() -> (min: [UInt8], max: [UInt8])? {
        values.withUnsafeBufferPointer { buffer in
            var index = 0
            while index < buffer.count && !buffer[index].isOrdered { index += 1 }
            guard index < buffer.count else { return nil }
            var low = buffer[index]
            var high = low
            while index < buffer.count {
                let value = buffer[index]
                if value.isOrdered {
                    if value < low { low = value }
                    if value > high { high = value }
                }
                index += 1
            }
            return (withUnsafeBytes(of: low) { Array($0) }, withUnsafeBytes(of: high) { Array($0) })
        }
    }

    func dictionaryEncode(byteLimit: Int) -> DictionaryEncoding? {
        var table = BitPatternDictionary()
        var entries: [Value] = []
        var indices: [UInt32] = []
        indices.reserveCapacity(values.count)
        let limit = byteLimit / MemoryLayout<Value>.stride
        for (seen, value) in values.enumerated() {
            let before = table.count
            let index = table.index(of: value.dictionaryKey)
            if table.count != before {
                entries.append(value)
                if entries.count > limit { return nil }
            }
            indices.append(index)
            if seen == 32_768 && !DictionaryEncoding.isWorthKeeping(distinct: table.count, seen: seen) { return nil }
        }
        let plain = entries.withUnsafeBytes { Array($0) }
        return DictionaryEncoding(plainEntries: plain, count: entries.count, indices: indices)
    }
}
