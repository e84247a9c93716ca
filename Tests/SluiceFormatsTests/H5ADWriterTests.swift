import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// What the writer writes, the reader reads back unchanged — every column kind, nulls included.
@Suite("h5ad writer")
struct H5ADWriterTests {
    static let schema: [FrameColumn.Schema] = [
        .init(name: "label", kind: .string, nullable: false),
        .init(name: "type", kind: .categorical, nullable: true),
        .init(name: "count", kind: .integer, nullable: false),
        .init(name: "score", kind: .float, nullable: false),
        .init(name: "flag", kind: .bool, nullable: false),
        .init(name: "maybe_count", kind: .integer, nullable: true),
        .init(name: "maybe_flag", kind: .bool, nullable: true),
        .init(name: "maybe_label", kind: .string, nullable: true),
    ]

    static func batch(_ range: Range<Int>, genes: Int) -> CellBatch {
        var rows = SparseRows(columnCount: genes)
        for cell in range {
            for gene in stride(from: cell % 3, to: genes, by: 3) {
                rows.columns.append(Int32(gene))
                rows.values.append(Float(cell + gene))
            }
            rows.offsets.append(Int64(rows.values.count))
        }
        let n = range.count
        let cells = Array(range)
        // Each batch brings its own category order; the writer must unify them.
        let categories = range.lowerBound % 2 == 0 ? ["alpha", "β", "gamma"] : ["gamma", "alpha", "β"]
        let obs = Frame(
            index: cells.map { "cell-\($0)-ü" }, indexName: "_index",
            columns: [
                FrameColumn(name: "label", values: .strings(cells.map { "naïve \($0)" })),
                FrameColumn(name: "type", values: .categorical(codes: cells.map { Int32($0 % 4) - 1 }, categories: categories, ordered: false)),
                FrameColumn(name: "count", values: .integers(cells.map { Int64($0) * 1_000_000_007 })),
                FrameColumn(name: "score", values: .floats(cells.map { Double($0) / 7 })),
                FrameColumn(name: "flag", values: .bools(cells.map { $0 % 2 == 0 })),
                FrameColumn(name: "maybe_count", values: .integers(cells.map { Int64($0) }), missing: cells.map { $0 % 5 == 0 }),
                FrameColumn(name: "maybe_flag", values: .bools(cells.map { $0 % 3 == 0 }), missing: cells.map { $0 % 4 == 0 }),
                FrameColumn(name: "maybe_label", values: .strings(cells.map { "d\($0)" }), missing: (0..<n).map { $0 % 2 == 1 }),
            ])
        return CellBatch(cells: range, matrix: rows, obs: obs)
    }

    @Test("every column kind and the matrix read back unchanged")
    func roundTrip() throws {
        let scratch = try TemporaryDirectory()
        let folder = scratch.path
        let path = folder + "/out.h5ad"
        let genes = Frame(
            index: (0..<10).map { "G\($0)" }, indexName: "_index",
            columns: [FrameColumn(name: "symbol", values: .strings((0..<10).map { "SYM\($0)" }))])
        let writer = try H5ADWriter(path: path, genes: genes, cellSchema: Self.schema)
        let ranges = [0..<7, 7..<8, 8..<20]
        for range in ranges { try writer.append(Self.batch(range, genes: 10)) }
        #expect(!FileManager.default.fileExists(atPath: path), "only the .partial exists before close")
        try writer.close()
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))

        let reader = try H5ADReader(path: path)
        #expect(reader.genes == genes)
        #expect(reader.cellMetadataSchema == Self.schema)
        let all = try reader.read(cells: 0..<20)
        var expected = SparseRows(columnCount: 10)
        for range in ranges { expected.append(Self.batch(range, genes: 10).matrix) }
        #expect(all.matrix == expected)
        for range in ranges {
            let written = Self.batch(range, genes: 10).obs
            let read = all.obs.rows(range.lowerBound..<range.upperBound)
            #expect(read.index == written.index)
            for (a, b) in zip(read.columns, written.columns) {
                #expect(a.name == b.name)
                for i in 0..<a.count { #expect(a.text(at: i) == b.text(at: i), "\(a.name)[\(i)]") }
            }
        }
    }

    @Test("a writer dropped without close leaves no file behind")
    func abandonedWriter() throws {
        let scratch = try TemporaryDirectory()
        let folder = scratch.path
        let path = folder + "/out.h5ad"
        do {
            let writer = try H5ADWriter(path: path, genes: Frame(index: ["a"]), cellSchema: [])
            try writer.append(CellBatch(cells: 0..<1, matrix: SparseRows(offsets: [0, 1], columns: [0], values: [1], columnCount: 1), obs: Frame(index: ["c"])))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test("synthetic counts are reproducible and streamable")
    func syntheticCounts() throws {
        let scratch = try TemporaryDirectory()
        let folder = scratch.path
        let generator = SyntheticCounts(cells: 300, genes: 50, density: 0.1, seed: 7)
        try generator.write(to: folder + "/a.h5ad", chunk: 64)
        try generator.write(to: folder + "/b.h5ad", chunk: 100)
        let a = try H5ADReader(path: folder + "/a.h5ad").read(cells: 0..<300)
        let b = try H5ADReader(path: folder + "/b.h5ad").read(cells: 0..<300)
        #expect(a == b, "same seed, different write chunking, same data")
        #expect(a.matrix == generator.batch(0..<300).matrix)
        let density = Double(a.matrix.nonZeroCount) / (300 * 50)
        #expect(density > 0.05 && density < 0.2)
    }
}
