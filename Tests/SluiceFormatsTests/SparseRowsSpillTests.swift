import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// Batches read back from a spill equal those written, whatever their values and layout, in any
/// order and more than once; a damaged file gives an error.
@Suite("Spill of decoded count batches")
struct SparseRowsSpillTests {
    /// A random CSR batch: `counts` whole numbers (else fractional and negative values too),
    /// ascending columns unless `shuffled`, some empty rows.
    static func batch(rows: Int, columns: Int, counts: Bool, shuffled: Bool, seed: UInt64) -> SparseRows {
        var random = SeededGenerator(seed: seed)
        var offsets: [Int64] = [0]
        var columnIndices: [Int32] = []
        var values: [Float] = []
        for _ in 0..<rows {
            var row: [Int32] = []
            var column = Int(random.next() % 9)
            while column < columns {
                row.append(Int32(column))
                column += 1 + Int(random.next() % 17)
            }
            if random.next() % 7 == 0 { row = [] }
            if shuffled { row.shuffle(using: &random) }
            for column in row {
                columnIndices.append(column)
                let whole = Float(random.next() % 3 == 0 ? random.next() % 100_000 : random.next() % 4)
                values.append(counts ? whole : whole / 3 - 7)
            }
            offsets.append(Int64(columnIndices.count))
        }
        return SparseRows(offsets: offsets, columns: columnIndices, values: values, columnCount: columns)
    }

    @Test("round trip of counts, other values, unsorted columns and empty batches")
    func roundTrip() throws {
        let folder = try TemporaryDirectory()
        let spill = try SparseRowsSpill(path: folder.file("counts.spill"))
        let batches = [
            Self.batch(rows: 3_000, columns: 700, counts: true, shuffled: false, seed: 1),
            Self.batch(rows: 300, columns: 70_000, counts: false, shuffled: false, seed: 2),
            Self.batch(rows: 2_100, columns: 300, counts: true, shuffled: true, seed: 3),
            SparseRows(columnCount: 5),
            Self.batch(rows: 1, columns: 1, counts: true, shuffled: false, seed: 4),
        ]
        for (index, batch) in batches.enumerated() { #expect(try spill.append(batch) == index) }
        #expect(spill.batchCount == batches.count)
        for index in [2, 0, 4, 1, 3, 0] { #expect(try spill.read(batch: index) == batches[index]) }
        spill.remove()
        #expect(!FileManager.default.fileExists(atPath: folder.file("counts.spill")))
    }

    /// One value that is not a count below 2³² in a batch of counts: the batch is stored as
    /// floats, and reads back exactly.
    @Test("a single non-count value among counts", arguments: [Float(0.5), -1, 4_294_967_296, 5e9, 3.000_000_2, .infinity])
    func almostCounts(odd: Float) throws {
        let folder = try TemporaryDirectory()
        let spill = try SparseRowsSpill(path: folder.file("counts.spill"))
        let counts = Self.batch(rows: 500, columns: 900, counts: true, shuffled: false, seed: 9)
        var values = counts.values
        values[values.count / 2] = odd
        let batch = SparseRows(offsets: counts.offsets, columns: counts.columns, values: values, columnCount: counts.columnCount)
        #expect(try spill.append(batch) == 0)
        #expect(try spill.read(batch: 0) == batch)
        spill.remove()
    }

    @Test("counts take about 2 bytes an entry")
    func compact() throws {
        let folder = try TemporaryDirectory()
        let spill = try SparseRowsSpill(path: folder.file("counts.spill"))
        var random = SeededGenerator(seed: 9)
        var offsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for _ in 0..<2_000 {
            for column in 0..<2_000 where random.next() % 12 == 0 {
                columns.append(Int32(column))
                values.append(Float(1 + random.next() % 5))
            }
            offsets.append(Int64(columns.count))
        }
        let batch = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: 2_000)
        try spill.append(batch)
        #expect(Double(spill.byteCount) / Double(batch.nonZeroCount) < 2.1)
        #expect(try spill.read(batch: 0) == batch)
    }

    @Test("a batch that would pass the limit is refused and nothing of it is written")
    func limit() throws {
        let folder = try TemporaryDirectory()
        let batch = Self.batch(rows: 1_000, columns: 500, counts: true, shuffled: false, seed: 6)
        let probe = try SparseRowsSpill(path: folder.file("size.spill"))
        try probe.append(batch)
        let spill = try SparseRowsSpill(path: folder.file("counts.spill"), limit: probe.byteCount * 2 - 1)
        #expect(try spill.append(batch) == 0)
        #expect(try spill.append(batch) == nil)
        #expect(spill.byteCount == probe.byteCount)
        #expect(spill.batchCount == 1)
        #expect(try spill.read(batch: 0) == batch)
        let exact = try SparseRowsSpill(path: folder.file("exact.spill"), limit: probe.byteCount * 2)
        #expect(try exact.append(batch) == 0)
        #expect(try exact.append(batch) == 1)
        #expect(try FileManager.default.attributesOfItem(atPath: folder.file("counts.spill"))[.size] as? Int64 == probe.byteCount)
    }

    @Test("a damaged file gives an error, not a crash")
    func damaged() throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("counts.spill")
        let spill = try SparseRowsSpill(path: path)
        let batch = Self.batch(rows: 500, columns: 400, counts: true, shuffled: false, seed: 5)
        try spill.append(batch)
        // Every continuation bit set: no varint ends where it should.
        let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try file.write(contentsOf: Data(repeating: 0xFF, count: 64))
        try file.close()
        #expect(throws: FormatError.self) { try spill.read(batch: 0) }
        // A file cut short.
        truncate(path, 10)
        #expect(throws: FormatError.self) { try spill.read(batch: 0) }
    }

    /// Single bytes overwritten anywhere — in lengths, column gaps, values (counts or four-byte
    /// floats) — give an error or some batch, never a read out of bounds or a column outside
    /// the matrix.
    @Test("overwritten bytes never read out of bounds", arguments: [true, false])
    func overwrittenBytes(counts: Bool) throws {
        let folder = try TemporaryDirectory()
        let path = folder.file("counts.spill")
        let spill = try SparseRowsSpill(path: path)
        // Gaps and counts of one and two varint bytes.
        var random = SeededGenerator(seed: 12)
        var offsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        for _ in 0..<300 {
            var column = Int(random.next() % 300)
            while column < 5_000 {
                columns.append(Int32(column))
                let count = Float(random.next() % 4 == 0 ? 200 + random.next() % 400 : 1 + random.next() % 4)
                values.append(counts ? count : count / 3)
                column += 1 + Int(random.next() % 600)
            }
            offsets.append(Int64(columns.count))
        }
        let batch = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: 5_000)
        try spill.append(batch)
        #expect(try spill.read(batch: 0) == batch)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        var failures = 0
        for trial in 0..<300 {
            var damaged = original
            let position = Int(random.next() % UInt64(original.count))
            damaged[position] = trial % 3 == 0 ? 255 : UInt8(truncatingIfNeeded: random.next())
            try damaged.write(to: URL(fileURLWithPath: path))
            do {
                let read = try spill.read(batch: 0)
                #expect(read.columns.allSatisfy { $0 >= 0 && $0 < 5_000 })
                #expect(read.offsets.last == Int64(read.columns.count))
            } catch is FormatError {
                failures += 1
            }
        }
        #expect(failures > 0, "some damage is noticed")
    }
}
