import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceFormats

/// For random matrices, stored as CSR or CSC, compressed or not, and read in random chunk sizes,
/// the concatenated chunks reproduce the matrix exactly.
@Suite("Random matrices round-trip through any chunking")
struct SparseRoundTripPropertyTests {
    /// A random cells × genes matrix with some empty rows and columns.
    static func randomMatrix(_ random: inout SeededGenerator) -> SparseRows {
        let rows = 1 + Int(random.next() % 120)
        let columns = 1 + Int(random.next() % 60)
        let density = random.unit() * 0.5
        var matrix = SparseRows(columnCount: columns)
        for _ in 0..<rows {
            for c in 0..<columns where random.unit() < density {
                matrix.columns.append(Int32(c))
                matrix.values.append(Float(1 + random.next() % 1000) / 4)
            }
            matrix.offsets.append(Int64(matrix.values.count))
        }
        return matrix
    }

    static func genes(_ count: Int) -> Frame {
        Frame(index: (0..<count).map { "g\($0)" })
    }

    static func cells(_ range: Range<Int>) -> Frame {
        Frame(index: range.map { "c\($0)" })
    }

    @Test("CSR written by H5ADWriter", arguments: 0..<12)
    func csr(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(seed))
        let matrix = Self.randomMatrix(&random)
        let scratch = try TemporaryDirectory()
        let folder = scratch.path
        let path = folder + "/m.h5ad"
        let writer = try H5ADWriter(
            path: path, genes: Self.genes(matrix.columnCount), cellSchema: [],
            options: .init(gzipLevel: seed % 2 == 0 ? 4 : nil, chunkElements: 1 + Int(random.next() % 50)))
        // Written in random batch sizes too.
        var start = 0
        while start < matrix.rowCount {
            let end = min(matrix.rowCount, start + 1 + Int(random.next() % 40))
            try writer.append(CellBatch(cells: start..<end, matrix: Self.slice(matrix, start..<end), obs: Self.cells(start..<end)))
            start = end
        }
        try writer.close()
        try Self.expectChunkedReadsEqual(matrix, path: path, &random)
    }

    @Test("CSC transposed through scratch buckets", arguments: 0..<12)
    func csc(seed: Int) throws {
        var random = SeededGenerator(seed: UInt64(1000 + seed))
        let matrix = Self.randomMatrix(&random)
        let scratch = try TemporaryDirectory()
        let folder = scratch.path
        let path = folder + "/m.h5ad"
        try Self.writeCSC(matrix, to: path, chunk: 1 + Int(random.next() % 50), gzip: seed % 2 == 0)
        try Self.expectChunkedReadsEqual(matrix, path: path, &random)
    }

    static func expectChunkedReadsEqual(_ matrix: SparseRows, path: String, _ random: inout SeededGenerator) throws {
        let source = try H5ADReader(path: path)
        #expect(source.cellCount == matrix.rowCount)
        for _ in 0..<4 {
            let size = 1 + Int(random.next() % UInt64(matrix.rowCount + 2))
            var joined = SparseRows(columnCount: matrix.columnCount)
            for range in source.batchRanges(size: size) { joined.append(try source.read(cells: range).matrix) }
            #expect(joined == matrix, "chunk size \(size)")
        }
    }

    static func slice(_ matrix: SparseRows, _ rows: Range<Int>) -> SparseRows {
        let lower = Int(matrix.offsets[rows.lowerBound])
        let upper = Int(matrix.offsets[rows.upperBound])
        return SparseRows(
            offsets: matrix.offsets[rows.lowerBound...rows.upperBound].map { $0 - Int64(lower) },
            columns: Array(matrix.columns[lower..<upper]), values: Array(matrix.values[lower..<upper]),
            columnCount: matrix.columnCount)
    }

    /// Writes `matrix` as an AnnData csc_matrix (the writer only makes CSR, so this uses the HDF5 layer).
    static func writeCSC(_ matrix: SparseRows, to path: String, chunk: Int, gzip: Bool) throws {
        var byColumn = [[(Int32, Float)]](repeating: [], count: matrix.columnCount)
        for r in 0..<matrix.rowCount {
            let (columns, values) = matrix.row(r)
            for (c, v) in zip(columns, values) { byColumn[Int(c)].append((Int32(r), v)) }
        }
        let file = try HDF5File.create(path)
        let root = try file.root()
        let x = try root.createGroup("X")
        try x.setAttribute("encoding-type", string: "csc_matrix")
        try x.setAttribute("encoding-version", string: "0.1.0")
        try x.setAttribute("shape", integers: [Int64(matrix.rowCount), Int64(matrix.columnCount)])
        let level: Int? = gzip ? 3 : nil
        let data = try x.createDataset("data", storage: .float32, shape: [0], extendable: true, chunkRows: chunk, gzipLevel: level)
        let indices = try x.createDataset("indices", storage: .int64, shape: [0], extendable: true, chunkRows: chunk, gzipLevel: level)
        let indptr = try x.createDataset("indptr", storage: .int64, shape: [0], extendable: true, chunkRows: chunk, gzipLevel: level)
        try data.append(byColumn.flatMap { $0.map(\.1) })
        try indices.append(byColumn.flatMap { $0.map { Int64($0.0) } })
        var pointers: [Int64] = [0]
        for column in byColumn { pointers.append(pointers.last! + Int64(column.count)) }
        try indptr.append(pointers)
        for (name, count) in [("obs", matrix.rowCount), ("var", matrix.columnCount)] {
            let group = try root.createGroup(name)
            try group.setAttribute("encoding-type", string: "dataframe")
            try group.setAttribute("encoding-version", string: "0.2.0")
            try group.setAttribute("_index", string: "_index")
            try group.setAttribute("column-order", strings: [])
            let index = try group.createDataset("_index", storage: .utf8String, shape: [0], extendable: true, chunkRows: 64)
            try index.append(strings: (0..<count).map { "\(name)\($0)" })
        }
    }
}
