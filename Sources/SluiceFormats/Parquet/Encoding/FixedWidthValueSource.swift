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
        if Value.self == Int32.self {
            let dense = values.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: Int32.self) { Self.denseInt32Dictionary($0, byteLimit: byteLimit) }
            }
            if let dense { return dense }
        }
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

    /// Dictionary-encodes `Int32` values whose range is small (token ids, codes) with a direct
    /// lookup table instead of hashing: one load per value. `nil` when the range is too wide
    /// (the caller hashes instead); `.some(nil)` when a dictionary does not pay off.
    private static func denseInt32Dictionary(_ values: UnsafeBufferPointer<Int32>, byteLimit: Int) -> DictionaryEncoding?? {
        guard let first = values.first else { return nil }
        var low = first
        var high = first
        for value in values {
            low = Swift.min(low, value)
            high = Swift.max(high, value)
        }
        let span = Int(high) - Int(low) + 1
        guard span <= 1 << 20 else { return nil }
        var table = [Int32](repeating: -1, count: span)
        var entries: [Int32] = []
        let limit = byteLimit / 4
        var worthIt = true
        // Every index is written once (no zero-filling first); an early exit keeps none.
        let indices = [UInt32](unsafeUninitializedCapacity: values.count) { indices, initialized in
            defer { initialized = worthIt ? values.count : 0 }
            table.withUnsafeMutableBufferPointer { table in
                for position in 0..<values.count {
                    let value = values[position]
                    let slot = Int(value) - Int(low)
                    var index = table[slot]
                    if index < 0 {
                        index = Int32(entries.count)
                        table[slot] = index
                        entries.append(value)
                        if entries.count > limit {
                            worthIt = false
                            return
                        }
                    }
                    indices[position] = UInt32(index)
                    if position == 32_768 && !DictionaryEncoding.isWorthKeeping(distinct: entries.count, seen: position) {
                        worthIt = false
                        return
                    }
                }
            }
        }
        guard worthIt else { return .some(nil) }
        let plain = entries.withUnsafeBytes { Array($0) }
        return .some(DictionaryEncoding(plainEntries: plain, count: entries.count, indices: indices))
    }
}
