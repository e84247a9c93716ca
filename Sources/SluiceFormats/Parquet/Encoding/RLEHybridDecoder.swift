/// Decodes Parquet's RLE / bit-packed hybrid encoding, checking every run against the bytes left.
///
/// A corrupt run header cannot make the decoder read past its buffer or loop forever: each run
/// consumes input, literal runs must fit in what is left, and asking for more values than the
/// data holds is an error.
struct RLEHybridDecoder {
    /// Why the bytes did not decode.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private let data: UnsafeRawBufferPointer
    private let bitWidth: Int
    private var position = 0
    private var repeatedRemaining = 0
    private var repeatedValue: UInt32 = 0
    private var literalRemaining = 0
    /// Bit offset of the next literal value from `data.baseAddress`.
    private var literalBit = 0

    /// Decodes `data` (which must outlive the decoder) as values of `bitWidth` bits.
    init(_ data: UnsafeRawBufferPointer, bitWidth: Int) throws(Failure) {
        guard (0...32).contains(bitWidth) else { throw Failure(description: "the RLE bit width \(bitWidth) is over 32") }
        self.data = data
        self.bitWidth = bitWidth
    }

    /// Bytes consumed so far (whole runs).
    var bytesConsumed: Int { position }

    private mutating func readVarint() throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard position < data.count else { throw Failure(description: "RLE data ends in the middle of a run header") }
            let byte = data[position]
            position += 1
            guard shift < 64 else { throw Failure(description: "an RLE run header is too long") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private mutating func nextRun() throws(Failure) {
        let header = try readVarint()
        if header & 1 == 0 {
            let count = header >> 1
            let valueBytes = (bitWidth + 7) / 8
            guard count > 0, count <= UInt64(Int32.max) else { throw Failure(description: "an RLE run has the invalid length \(count)") }
            guard data.count - position >= valueBytes else { throw Failure(description: "RLE data ends in the middle of a run") }
            var value: UInt32 = 0
            for index in 0..<valueBytes { value |= UInt32(data[position + index]) << (8 * index) }
            position += valueBytes
            repeatedValue = value
            repeatedRemaining = Int(count)
        } else {
            let groups = header >> 1
            let available = UInt64(data.count - position)
            guard groups > 0, groups <= available else { throw Failure(description: "a bit-packed run of \(groups) groups does not fit in the data") }
            let byteCount = Int(groups) * bitWidth
            // The last group may be cut short when the data ends: the stream only promises the
            // values the page counts, so take the bytes that are there.
            let usable = Swift.min(byteCount, data.count - position)
            literalRemaining = Swift.min(Int(groups) * 8, bitWidth == 0 ? Int(groups) * 8 : usable * 8 / bitWidth)
            literalBit = position * 8
            position += usable
            guard literalRemaining > 0 || bitWidth == 0 else { throw Failure(description: "a bit-packed run is empty") }
        }
    }

    /// Decodes the next `output.count` values into `output`.
    mutating func decode<T: FixedWidthInteger & UnsignedInteger>(into output: UnsafeMutableBufferPointer<T>) throws(Failure) {
        var produced = 0
        let total = output.count
        guard let base = output.baseAddress else { return }
        let mask: UInt64 = bitWidth == 0 ? 0 : (UInt64(1) << UInt64(bitWidth)) - 1
        while produced < total {
            if repeatedRemaining == 0 && literalRemaining == 0 { try nextRun() }
            if repeatedRemaining > 0 {
                let count = Swift.min(repeatedRemaining, total - produced)
                (base + produced).update(repeating: T(truncatingIfNeeded: repeatedValue), count: count)
                produced += count
                repeatedRemaining -= count
            } else {
                let count = Swift.min(literalRemaining, total - produced)
                if bitWidth == 0 {
                    (base + produced).update(repeating: 0, count: count)
                } else {
                    let bytes = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    var bit = literalBit
                    for index in 0..<count {
                        let byte = bit >> 3
                        let shift = bit & 7
                        let needed = (shift + bitWidth + 7) >> 3
                        var word: UInt64 = 0
                        for offset in 0..<needed { word |= UInt64(bytes[byte + offset]) << UInt64(8 * offset) }
                        base[produced + index] = T(truncatingIfNeeded: (word >> UInt64(shift)) & mask)
                        bit += bitWidth
                    }
                    literalBit = bit
                }
                produced += count
                literalRemaining -= count
            }
        }
    }
}
