/// Encodes small unsigned integers (levels, dictionary indices) in Parquet's RLE / bit-packed hybrid.
///
/// Values arrive one at a time (`append`) or as runs (`appendRun`); equal neighbours merge into one
/// run. Runs of 8 or more become RLE runs; shorter ones collect into bit-packed groups of 8. Feeding
/// runs matters for list levels: a `LIST<INT32>` column without nulls has definition levels that
/// are one long run and repetition levels that are two runs per row, so encoding them costs a few
/// bytes per row instead of work per element.
struct RLEHybridEncoder {
    let bitWidth: Int
    private(set) var bytes: [UInt8] = []
    private var runValue: UInt32 = 0
    private var runCount = 0
    private var literals: [UInt32] = []
    /// Literals are flushed in groups of this many values to keep the buffer small.
    private static let literalFlushCount = 4096

    init(bitWidth: Int) {
        precondition((0...32).contains(bitWidth), "RLE bit width \(bitWidth) is out of range")
        self.bitWidth = bitWidth
        literals.reserveCapacity(Self.literalFlushCount + 8)
    }

    /// The number of bits needed to store values up to `maximum` (0 for 0).
    static func bitWidth(forMaximum maximum: UInt64) -> Int {
        maximum == 0 ? 0 : 64 - maximum.leadingZeroBitCount
    }

    @inline(__always)
    mutating func append(_ value: UInt32) {
        if runCount > 0 && value == runValue {
            runCount += 1
        } else {
            flushRun()
            runValue = value
            runCount = 1
        }
    }

    mutating func appendRun(_ value: UInt32, count: Int) {
        guard count > 0 else { return }
        if runCount > 0 && value == runValue {
            runCount += count
        } else {
            flushRun()
            runValue = value
            runCount = count
        }
    }

    /// Finishes the stream (pads the last bit-packed group with zeros) and returns its bytes.
    mutating func finish() -> [UInt8] {
        flushRun()
        if !literals.isEmpty {
            while literals.count % 8 != 0 { literals.append(0) }
            emitLiterals(count: literals.count)
        }
        return bytes
    }

    private mutating func flushRun() {
        guard runCount > 0 else { return }
        var count = runCount
        runCount = 0
        if count >= 8 {
            if !literals.isEmpty {
                // A bit-packed run holds whole groups of 8, so borrow from this run to fill the last one.
                let fill = (8 - literals.count % 8) % 8
                for _ in 0..<fill { literals.append(runValue) }
                count -= fill
                emitLiterals(count: literals.count)
            }
            emitRepeated(runValue, count: count)
        } else {
            for _ in 0..<count { literals.append(runValue) }
            if literals.count >= Self.literalFlushCount { emitLiterals(count: literals.count & ~7) }
        }
    }

    private mutating func writeVarint(_ value: Int) {
        var value = UInt64(value)
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    private mutating func emitRepeated(_ value: UInt32, count: Int) {
        writeVarint(count << 1)
        var value = value
        for _ in 0..<((bitWidth + 7) / 8) {
            bytes.append(UInt8(truncatingIfNeeded: value))
            value >>= 8
        }
    }

    /// Bit-packs the first `count` literals (a multiple of 8), least significant bit first.
    private mutating func emitLiterals(count: Int) {
        guard count > 0 else { return }
        writeVarint((count / 8) << 1 | 1)
        let width = UInt64(bitWidth)
        bytes.reserveCapacity(bytes.count + count * bitWidth / 8)
        var accumulator: UInt64 = 0
        var bits: UInt64 = 0
        for index in 0..<count {
            accumulator |= UInt64(literals[index]) << bits
            bits += width
            while bits >= 8 {
                bytes.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator >>= 8
                bits -= 8
            }
        }
        literals.removeFirst(count)
    }
}
