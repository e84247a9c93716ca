extension RLEHybridEncoder {
    /// Encodes dictionary indices, which are mostly distinct neighbours, in one pass: groups of 8
    /// are bit-packed straight from the buffer and only groups of 8 equal values start an RLE run.
    ///
    /// The general `append` path decides per value; for 200 million token indices this path is
    /// several times faster and produces a valid (if occasionally slightly larger) stream.
    static func encodeIndices(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(values.count * bitWidth / 8 + 16)
        func varint(_ value: Int) {
            var value = UInt64(value)
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        func packLiterals(_ range: Range<Int>, padTo count: Int) {
            guard count > 0 else { return }
            varint((count / 8) << 1 | 1)
            var accumulator: UInt64 = 0
            var bits = 0
            for index in range.lowerBound..<(range.lowerBound + count) {
                let value = index < range.upperBound ? UInt64(values[index]) : 0
                accumulator |= value << UInt64(bits)
                bits += bitWidth
                while bits >= 8 {
                    bytes.append(UInt8(truncatingIfNeeded: accumulator))
                    accumulator >>= 8
                    bits -= 8
                }
            }
        }
        let count = values.count
        var position = 0
        var literalStart = 0
        while position + 8 <= count {
            let value = values[position]
            var equal = true
            for offset in 1..<8 where values[position + offset] != value {
                equal = false
                break
            }
            if !equal {
                position += 8
                continue
            }
            var end = position + 8
            while end < count && values[end] == value { end += 1 }
            packLiterals(literalStart..<position, padTo: position - literalStart)
            varint((end - position) << 1)
            var remaining = value
            for _ in 0..<((bitWidth + 7) / 8) {
                bytes.append(UInt8(truncatingIfNeeded: remaining))
                remaining >>= 8
            }
            position = end
            literalStart = end
        }
        let tail = count - literalStart
        packLiterals(literalStart..<count, padTo: (tail + 7) / 8 * 8)
        return bytes
    }
}
