extension RLEHybridEncoder {
    /// Encodes dictionary indices, which are mostly distinct neighbours, in one pass: groups of 8
    /// are bit-packed straight from the buffer and only groups of 8 equal values start an RLE run.
    ///
    /// The general `append` path decides per value; for 200 million token indices this path is
    /// several times faster and produces a valid (if occasionally slightly larger) stream. Bytes
    /// are stored through a pointer into storage sized for the worst case, four at a time while
    /// packing, not appended one by one.
    static func encodeIndices(_ values: UnsafeBufferPointer<UInt32>, bitWidth: Int) -> [UInt8] {
        precondition((0...32).contains(bitWidth), "dictionary indices are at most 32 bits wide")
        let count = values.count
        // Packed groups take bitWidth bytes per 8 values (the last group padded); each run of
        // either kind adds a header of at most 5 bytes (and an RLE run its value), and runs
        // alternate, so there are at most count / 8 + 1 of each.
        let capacity = (count + 7) / 8 * bitWidth + (count / 8 + 2) * (10 + (bitWidth + 7) / 8) + 8
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, written in
            let out = buffer.baseAddress!
            var position = 0  // bytes written
            func varint(_ value: Int) {
                var value = UInt64(value)
                while value >= 0x80 {
                    out[position] = UInt8(truncatingIfNeeded: value) | 0x80
                    position += 1
                    value >>= 7
                }
                out[position] = UInt8(value)
                position += 1
            }
            // Packs values[start..<start + padded] (zeros past `end`); padded is a multiple of 8,
            // so the run ends on a byte boundary.
            func packLiterals(from start: Int, to end: Int, padded: Int) {
                guard padded > 0 else { return }
                varint((padded / 8) << 1 | 1)
                let width = UInt64(bitWidth)
                var accumulator: UInt64 = 0
                var bits: UInt64 = 0
                for index in start..<(start + padded) {
                    let value = index < end ? UInt64(values[index]) : 0
                    accumulator |= value << bits
                    bits += width
                    if bits >= 32 {
                        UnsafeMutableRawPointer(out + position)
                            .storeBytes(of: UInt32(truncatingIfNeeded: accumulator).littleEndian, as: UInt32.self)
                        position += 4
                        accumulator >>= 32
                        bits -= 32
                    }
                }
                while bits > 0 {
                    out[position] = UInt8(truncatingIfNeeded: accumulator)
                    position += 1
                    accumulator >>= 8
                    bits -= 8
                }
            }
            var group = 0
            var literalStart = 0
            while group + 8 <= count {
                let value = values[group]
                var equal = true
                for offset in 1..<8 where values[group + offset] != value {
                    equal = false
                    break
                }
                if !equal {
                    group += 8
                    continue
                }
                var end = group + 8
                while end < count && values[end] == value { end += 1 }
                packLiterals(from: literalStart, to: group, padded: group - literalStart)
                varint((end - group) << 1)
                var remaining = value
                for _ in 0..<((bitWidth + 7) / 8) {
                    out[position] = UInt8(truncatingIfNeeded: remaining)
                    position += 1
                    remaining >>= 8
                }
                group = end
                literalStart = end
            }
            let tail = count - literalStart
            packLiterals(from: literalStart, to: count, padded: (tail + 7) / 8 * 8)
            precondition(position <= capacity, "index stream overran its bound")
            written = position
        }
    }
}
