/// The `PageValueSource` of string (`BYTE_ARRAY`) columns.
struct StringValueSource: PageValueSource {
    let strings: ParquetStrings
    /// Statistics are left out when a bound is longer than this, as other writers truncate or drop them.
    private static let maximumStatisticsLength = 256

    var count: Int { strings.count }

    func plainByteCount(_ range: Range<Int>) -> Int {
        strings.offsets[range.upperBound] - strings.offsets[range.lowerBound] + 4 * range.count
    }

    func appendPlain(_ range: Range<Int>, to body: inout [UInt8]) {
        body.reserveCapacity(body.count + plainByteCount(range))
        strings.bytes.withUnsafeBytes { bytes in
            for index in range {
                let start = strings.offsets[index]
                let end = strings.offsets[index + 1]
                withUnsafeBytes(of: UInt32(end - start).littleEndian) { body.append(contentsOf: $0) }
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
            }
        }
    }

    func bounds() -> (min: [UInt8], max: [UInt8])? {
        guard strings.count > 0 else { return nil }
        let bytes = strings.bytes
        var low = bytes[strings.offsets[0]..<strings.offsets[1]]
        var high = low
        for index in 1..<strings.count {
            let value = bytes[strings.offsets[index]..<strings.offsets[index + 1]]
            if value.lexicographicallyPrecedes(low) { low = value }
            if high.lexicographicallyPrecedes(value) { high = value }
        }
        guard low.count <= Self.maximumStatisticsLength, high.count <= Self.maximumStatisticsLength else { return nil }
        return (Array(low), Array(high))
    }

    func dictionaryEncode(byteLimit: Int) -> DictionaryEncoding? {
        var table: [ArraySlice<UInt8>: UInt32] = [:]
        var plain: [UInt8] = []
        var indices: [UInt32] = []
        indices.reserveCapacity(strings.count)
        let bytes = strings.bytes
        for index in 0..<strings.count {
            let value = bytes[strings.offsets[index]..<strings.offsets[index + 1]]
            if let existing = table[value] {
                indices.append(existing)
            } else {
                let newIndex = UInt32(table.count)
                table[value] = newIndex
                withUnsafeBytes(of: UInt32(value.count).littleEndian) { plain.append(contentsOf: $0) }
                plain.append(contentsOf: value)
                if plain.count > byteLimit { return nil }
                indices.append(newIndex)
            }
            if index == 32_768 && !DictionaryEncoding.isWorthKeeping(distinct: table.count, seen: index) { return nil }
        }
        return DictionaryEncoding(plainEntries: plain, count: table.count, indices: indices)
    }
}
