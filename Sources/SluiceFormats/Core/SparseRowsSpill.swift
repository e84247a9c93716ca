import Foundation

/// Decoded count batches kept in a file, compactly, so that later passes over a dataset read
/// them back instead of inflating, decoding and checking the source again.
///
/// Each batch is cut into blocks of ``rowsPerBlock`` rows, encoded and decoded on all cores. A
/// block is three byte streams: row lengths, column gaps (each row's columns ascending, as every
/// reader delivers them, stored as differences from the previous one) and values — whole numbers
/// in `0..<2³²` (counts) as LEB128 varints, others as their four bytes; a block whose columns are
/// not ascending stores them as four bytes too. UMI counts at single-cell densities take about 2
/// bytes an entry, against 8 decoded and ~2.7 in a gzip h5ad.
///
/// Batches are read back by number, in any order, any number of times, from any one thread at a
/// time. The layout of the blocks is held in memory (a few numbers a block), so the file means
/// nothing without this object; it is removed by ``remove()`` and on deinit. Reading checks the
/// streams' framing, so a file damaged on disk gives an error, never a read out of bounds.
public final class SparseRowsSpill: @unchecked Sendable {
    // @unchecked: it is handed to a read-ahead thread, but used by one thread at a time (writes
    // all happen before the first read; reads share `readBuffer`); the descriptor is used with
    // positional reads and writes only.
    /// The spill file's path; the file is removed by ``remove()`` or on deinit.
    public let path: String
    private let descriptor: Int32
    private var batches: [Batch] = []
    private var end: Int64 = 0
    private var removed = false
    /// The most bytes the file may hold (``append(_:)`` refuses a batch that would pass it).
    public let limit: Int64
    /// Where batches are read into, kept from read to read.
    private var readBuffer = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    /// Rows per independently coded block.
    public static let rowsPerBlock = 1024

    private struct Block {
        var rows: Range<Int>
        var entryStart: Int
        var entryCount: Int
        var flags: UInt8
        /// Byte counts of the lengths, columns and values streams, which follow each other.
        var lengthBytes: Int
        var columnBytes: Int
        var valueBytes: Int
        var byteStart: Int
        var byteCount: Int { lengthBytes + columnBytes + valueBytes }
    }

    private struct Batch {
        var offset: Int64
        var byteCount: Int
        var rowCount: Int
        var entryCount: Int
        var columnCount: Int
        var blocks: [Block]
    }

    private static let varintValues: UInt8 = 1
    private static let gapColumns: UInt8 = 2

    /// Creates the file (it must not exist), to hold at most `limit` bytes.
    public init(path: String, limit: Int64 = .max) throws {
        self.path = path
        self.limit = limit
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FormatError(.ioFailure, path: path, "cannot create the spill file: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        readBuffer.deallocate()
        close(descriptor)
        if !removed { unlink(path) }
    }

    /// Deletes the file; the spill cannot be read afterwards.
    public func remove() {
        guard !removed else { return }
        removed = true
        unlink(path)
    }

    /// Number of batches written.
    public var batchCount: Int { batches.count }
    /// Bytes written so far.
    public var byteCount: Int64 { end }

    /// Appends a batch; returns its number, or nil, writing nothing, when the batch would take
    /// the file past ``limit``.
    @discardableResult
    public func append(_ rows: SparseRows) throws -> Int? {
        let blockRows = stride(from: 0, to: rows.rowCount, by: Self.rowsPerBlock).map { $0..<min($0 + Self.rowsPerBlock, rows.rowCount) }
        var encoded = [[UInt8]](repeating: [], count: blockRows.count)
        var layouts = [Block?](repeating: nil, count: blockRows.count)
        encoded.withUnsafeMutableBufferPointer { encoded in
            layouts.withUnsafeMutableBufferPointer { layouts in
                let shared = Shared(encoded: encoded.baseAddress!, layouts: layouts.baseAddress!)
                ParallelFor.run(parts: blockRows.count) { index in
                    let (bytes, layout) = Self.encode(rows, blockRows[index])
                    shared.encoded[index] = bytes
                    shared.layouts[index] = layout
                }
            }
        }
        let size = layouts.reduce(0) { $0 + $1!.byteCount }
        guard Int64(size) <= limit - end else { return nil }
        var batch = Batch(offset: end, byteCount: 0, rowCount: rows.rowCount, entryCount: rows.nonZeroCount, columnCount: rows.columnCount, blocks: [])
        for (index, var layout) in layouts.map({ $0! }).enumerated() {
            layout.byteStart = batch.byteCount
            batch.byteCount += layout.byteCount
            batch.blocks.append(layout)
            try write(encoded[index], at: end + Int64(layout.byteStart))
        }
        end += Int64(batch.byteCount)
        batches.append(batch)
        return batches.count - 1
    }

    /// Reads batch `number` back, exactly as it was appended.
    public func read(batch number: Int) throws -> SparseRows {
        precondition(number >= 0 && number < batches.count, "batch \(number) was never written")
        let batch = batches[number]
        if readBuffer.count < batch.byteCount {
            readBuffer.deallocate()
            readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: batch.byteCount + batch.byteCount / 8, alignment: 16)
        }
        let bytes = readBuffer
        var done = 0
        while done < batch.byteCount {
            let got = pread(descriptor, bytes.baseAddress! + done, batch.byteCount - done, off_t(batch.offset) + off_t(done))
            guard got > 0 else {
                throw FormatError(.ioFailure, path: path, got == 0 ? "the spill file is shorter than written" : "cannot read the spill file: \(String(cString: strerror(errno)))")
            }
            done += got
        }
        // Batch-sized arrays in the size classes the readers use, so that freed ones are reused
        // by the next batch instead of growing the heap; every element is written by the blocks
        // (or the batch is thrown away as damaged).
        var offsets = [Int64](unsafeUninitializedCapacity: [Int64].batchCapacity(for: batch.rowCount + 1)) { $1 = batch.rowCount + 1 }
        var columns = [Int32](unsafeUninitializedCapacity: [Int32].batchCapacity(for: batch.entryCount)) { $1 = batch.entryCount }
        var values = [Float](unsafeUninitializedCapacity: [Float].batchCapacity(for: batch.entryCount)) { $1 = batch.entryCount }
        offsets[0] = 0
        let failures = FailureBox()
        offsets.withUnsafeMutableBufferPointer { offsets in
            columns.withUnsafeMutableBufferPointer { columns in
                values.withUnsafeMutableBufferPointer { values in
                    let output = Output(
                        input: UnsafeRawBufferPointer(bytes), offsets: offsets.baseAddress!, columns: columns.baseAddress!,
                        values: values.baseAddress!)
                    let blocks = batch.blocks
                    let columnCount = batch.columnCount
                    let path = self.path
                    ParallelFor.run(parts: blocks.count) { index in
                        let block = blocks[index]
                        let data = UnsafeRawBufferPointer(rebasing: output.input[block.byteStart..<(block.byteStart + block.byteCount)])
                        if !Self.decode(block, data, columnCount: columnCount, into: output) {
                            failures.record(FormatError(.corruptData, path: path, "batch \(number) of the spill file is damaged"))
                        }
                    }
                }
            }
        }
        if let error = failures.first { throw error }
        return SparseRows(offsets: offsets, columns: columns, values: values, columnCount: batch.columnCount)
    }

    private func write(_ bytes: [UInt8], at offset: Int64) throws {
        try bytes.withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let put = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
                guard put > 0 else {
                    throw FormatError(.ioFailure, path: path, "cannot write the spill file: \(String(cString: strerror(errno)))")
                }
                done += put
            }
        }
    }

    // MARK: Coding

    /// Encodes rows `block`: column gaps and values as varints while they allow it (ascending
    /// columns; whole values in `0..<2³²`), else that stream again as four bytes an entry.
    private static func encode(_ rows: SparseRows, _ block: Range<Int>) -> ([UInt8], Block) {
        rows.offsets.withUnsafeBufferPointer { offsets in
            rows.columns.withUnsafeBufferPointer { columns in
                rows.values.withUnsafeBufferPointer { values in
                    encode(offsets, columns, values, block)
                }
            }
        }
    }

    private static func encode(
        _ offsets: UnsafeBufferPointer<Int64>, _ columns: UnsafeBufferPointer<Int32>, _ values: UnsafeBufferPointer<Float>,
        _ block: Range<Int>
    ) -> ([UInt8], Block) {
        let entries = Int(offsets[block.lowerBound])..<Int(offsets[block.upperBound])
        var layout = Block(
            rows: block, entryStart: entries.lowerBound, entryCount: entries.count, flags: gapColumns | varintValues,
            lengthBytes: 0, columnBytes: 0, valueBytes: 0, byteStart: 0)
        // Room for the longest coding, left uninitialized: only the bytes written are touched.
        let bytes = [UInt8](unsafeUninitializedCapacity: [UInt8].batchCapacity(for: 5 * block.count + 10 * entries.count)) { out, written in
            let p = out.baseAddress!
            var n = 0
            for row in block { putVarint(UInt32(truncatingIfNeeded: offsets[row + 1] - offsets[row]), p, &n) }
            layout.lengthBytes = n
            var ascending: UInt8 = 1
            for row in block {
                var previous: Int32 = 0
                for k in Int(offsets[row])..<Int(offsets[row + 1]) {
                    let column = columns[k]
                    ascending &= (column >= previous).bit
                    putVarint(UInt32(truncatingIfNeeded: column &- previous), p, &n)
                    previous = column
                }
            }
            if ascending == 0 {
                layout.flags &= ~gapColumns
                n = layout.lengthBytes
                for k in entries { putRaw(UInt32(bitPattern: columns[k]), p, &n) }
            }
            layout.columnBytes = n - layout.lengthBytes
            let valuesStart = n
            // Whether every value is a whole number below 2³², without a branch or a call per value
            // (`rounded(.down)` is a call to floorf on baseline x86-64).
            var whole: UInt8 = 1
            for k in entries {
                let value = values[k]
                let inRange = (value >= 0).bit & (value < 4_294_967_296).bit
                let integer = UInt32(inRange != 0 ? value : 0)
                whole &= inRange & (Float(integer) == value).bit
                putVarint(integer, p, &n)
            }
            if whole == 0 {
                layout.flags &= ~varintValues
                n = valuesStart
                for k in entries { putRaw(values[k].bitPattern, p, &n) }
            }
            layout.valueBytes = n - valuesStart
            written = n
        }
        return (bytes, layout)
    }

    /// Decodes one block into its rows and entries of `output`; false when the bytes do not frame.
    private static func decode(_ block: Block, _ data: UnsafeRawBufferPointer, columnCount: Int, into output: Output) -> Bool {
        let p = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let lengths = 0..<block.lengthBytes
        let columnBytes = block.lengthBytes..<(block.lengthBytes + block.columnBytes)
        let valueBytes = columnBytes.upperBound..<data.count
        let varintColumns = block.flags & gapColumns != 0
        let varintValues = block.flags & varintValues != 0
        // Every varint ends in exactly one byte below 0x80: with that many in each stream, and
        // the stream's last byte one of them, no varint runs past its stream.
        guard frames(p, lengths, count: block.rows.count),
            varintColumns ? frames(p, columnBytes, count: block.entryCount) : columnBytes.count == 4 * block.entryCount,
            varintValues ? frames(p, valueBytes, count: block.entryCount) : valueBytes.count == 4 * block.entryCount
        else { return false }
        var n = 0
        var entry = block.entryStart
        for row in block.rows {
            entry += Int(getVarint(p, &n))
            output.offsets[row + 1] = Int64(entry)
        }
        guard entry == block.entryStart + block.entryCount else { return false }
        let columns = output.columns
        n = columnBytes.lowerBound
        if varintColumns {
            var start = block.entryStart
            for row in block.rows {
                let stop = Int(output.offsets[row + 1])
                var column = 0
                for k in start..<stop {
                    column += Int(getVarint(p, &n))
                    columns[k] = Int32(truncatingIfNeeded: column)
                }
                if column >= columnCount { return false }
                start = stop
            }
        } else {
            for k in block.entryStart..<(block.entryStart + block.entryCount) {
                let column = Int32(bitPattern: getRaw(p, &n))
                guard column >= 0, Int(column) < columnCount else { return false }
                columns[k] = column
            }
        }
        let values = output.values + block.entryStart
        n = valueBytes.lowerBound
        if varintValues {
            for k in 0..<block.entryCount { values[k] = Float(getVarint(p, &n)) }
        } else {
            for k in 0..<block.entryCount { values[k] = Float(bitPattern: getRaw(p, &n)) }
        }
        return true
    }

    private static func frames(_ p: UnsafePointer<UInt8>, _ bytes: Range<Int>, count: Int) -> Bool {
        if bytes.isEmpty { return count == 0 }
        guard p[bytes.upperBound - 1] < 0x80 else { return false }
        // Counts continuation bytes (top bit set), 255 bytes at a time in 8-bit lanes.
        var continued = 0
        var start = bytes.lowerBound
        while start < bytes.upperBound {
            let stop = min(start + 255, bytes.upperBound)
            var lane: UInt8 = 0
            for byte in UnsafeBufferPointer(start: p + start, count: stop - start) { lane &+= byte >> 7 }
            continued += Int(lane)
            start = stop
        }
        return bytes.count - continued == count
    }

    @inline(__always)
    private static func putVarint(_ value: UInt32, _ p: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        var value = value
        while value >= 0x80 {
            p[n] = UInt8(truncatingIfNeeded: value) | 0x80
            value >>= 7
            n += 1
        }
        p[n] = UInt8(value)
        n += 1
    }

    @inline(__always)
    private static func getVarint(_ p: UnsafePointer<UInt8>, _ n: inout Int) -> UInt32 {
        var byte = p[n]
        n += 1
        if byte < 0x80 { return UInt32(byte) }
        var value = UInt32(byte & 0x7F)
        var shift: UInt32 = 7
        repeat {
            byte = p[n]
            n += 1
            value |= UInt32(byte & 0x7F) &<< shift
            shift += 7
        } while byte >= 0x80
        return value
    }

    @inline(__always)
    private static func putRaw(_ value: UInt32, _ p: UnsafeMutablePointer<UInt8>, _ n: inout Int) {
        UnsafeMutableRawPointer(p + n).storeBytes(of: value.littleEndian, as: UInt32.self)
        n += 4
    }

    @inline(__always)
    private static func getRaw(_ p: UnsafePointer<UInt8>, _ n: inout Int) -> UInt32 {
        let value = UnsafeRawPointer(p + n).loadUnaligned(as: UInt32.self)
        n += 4
        return UInt32(littleEndian: value)
    }

    // MARK: Shared between threads

    /// Per-block results of ``append(_:)``; each thread writes its own index.
    private struct Shared: @unchecked Sendable {
        // @unchecked: raw pointers; each thread writes only its own block's slots.
        let encoded: UnsafeMutablePointer<[UInt8]>
        let layouts: UnsafeMutablePointer<Block?>
    }

    /// The bytes of a batch and the arrays its blocks decode into; each thread writes its own
    /// rows and entries.
    private struct Output: @unchecked Sendable {
        // @unchecked: raw pointers; the input is read-only and each thread writes its own rows.
        let input: UnsafeRawBufferPointer
        let offsets: UnsafeMutablePointer<Int64>
        let columns: UnsafeMutablePointer<Int32>
        let values: UnsafeMutablePointer<Float>
    }
}
