import Foundation
import SluiceFormats
import SluiceTestSupport
import Testing

/// Every committed fixture reads back exactly as the reference tool (anndata, scanpy, loompy)
/// read it — counts, cell and gene names, and every metadata column.
@Suite("Reading fixtures against reference values")
struct FixtureReadingTests {
    @Test("manifest lists good and bad fixtures")
    func manifestIsPresent() {
        #expect(Fixtures.good.count >= 15)
        #expect(Fixtures.bad.count >= 10)
    }

    /// The references read every feature (scanpy's `gex_only=False`): so does this test.
    @Test("matrix, names and metadata equal the reference", arguments: Fixtures.good)
    func readsFixture(_ entry: Fixtures.Entry) throws {
        let expected = try Fixtures.expected(try #require(entry.expected))
        let source = try CellSourceOpener.open(Fixtures.path(entry.file), matrix: Self.matrixChoice(expected), features: .all)
        #expect(source.format.rawValue == expected.format)
        #expect(source.cellCount == expected.n_cells)
        #expect(source.geneCount == expected.n_genes)
        #expect(source.genes.index == expected.var_index)

        let all = try source.read(cells: 0..<source.cellCount)
        let matrix = Self.droppingZeros(all.matrix)
        #expect(matrix.nonZeroCount == expected.nnz)
        #expect(matrix.offsets == expected.csr.indptr)
        #expect(matrix.columns == expected.csr.indices)
        #expect(matrix.values.map(Double.init) == expected.csr.data.map { Double(Float($0)) })
        #expect(all.obs.index == expected.obs_index)
        try Self.compare(all.obs, expected.obs, what: "obs")
        try Self.compare(source.genes, expected.var, what: "var")
    }

    @Test("any chunking of cells concatenates to the whole", arguments: Fixtures.good)
    func chunkedReadsConcatenate(_ entry: Fixtures.Entry) throws {
        let expected = try Fixtures.expected(try #require(entry.expected))
        let source = try CellSourceOpener.open(Fixtures.path(entry.file), matrix: Self.matrixChoice(expected))
        let whole = try source.read(cells: 0..<source.cellCount)
        for size in [1, 3, 7, max(1, source.cellCount - 1)] {
            var joined = SparseRows(columnCount: source.geneCount)
            var names: [String] = []
            for range in source.batchRanges(size: size) {
                let batch = try source.read(cells: range)
                #expect(batch.matrix.rowCount == range.count)
                joined.append(batch.matrix)
                names += batch.obs.index
            }
            #expect(joined == whole.matrix, "chunk size \(size)")
            #expect(names == whole.obs.index)
        }
    }

    /// `X`, `raw` or a layer, from the expected file's `matrix_source`.
    static func matrixChoice(_ expected: ExpectedDataset) -> String? {
        guard expected.format == "h5ad" else { return nil }
        return switch expected.matrix_source {
        case nil, "X": nil
        case "raw/X", "raw.X": "raw"
        case let other?: other
        }
    }

    /// The matrix without explicitly stored zeros (the references drop them).
    static func droppingZeros(_ rows: SparseRows) -> SparseRows {
        var result = SparseRows(columnCount: rows.columnCount)
        for r in 0..<rows.rowCount {
            let (columns, values) = rows.row(r)
            for (c, v) in zip(columns, values) where v != 0 {
                result.columns.append(c)
                result.values.append(v)
            }
            result.offsets.append(Int64(result.values.count))
        }
        return result
    }

    static func compare(_ frame: Frame, _ expected: ExpectedDataset.OrderedColumns, what: String) throws {
        #expect(Set(frame.columns.map(\.name)) == Set(expected.names), "\(what) column names")
        for column in frame.columns {
            guard let reference = expected.columns[column.name] else { continue }
            #expect(column.kind.rawValue == reference.kind, "\(what).\(column.name) kind")
            #expect(column.count == reference.values.count, "\(what).\(column.name) length")
            if case .categorical(_, let categories, let ordered) = column.values {
                #expect(categories == reference.categories, "\(what).\(column.name) categories")
                #expect(ordered == (reference.ordered ?? false), "\(what).\(column.name) ordered")
            }
            for i in 0..<min(column.count, reference.values.count) {
                #expect(Self.matches(column, i, reference.values[i]), "\(what).\(column.name)[\(i)]: \(column.text(at: i) ?? "NA") vs \(reference.values[i])")
            }
        }
    }

    static func matches(_ column: FrameColumn, _ i: Int, _ reference: ExpectedDataset.Value) -> Bool {
        if column.isMissing(i) { return reference == .null }
        switch (column.values, reference) {
        case (.strings(let v), .string(let s)): return v[i] == s
        case (.categorical(let codes, let categories, _), .string(let s)): return categories[Int(codes[i])] == s
        case (.integers(let v), .number(let n)): return Double(v[i]) == n
        case (.floats(let v), .number(let n)): return v[i] == n || Float(v[i]) == Float(n)
        case (.floats(let v), .string("NaN")): return v[i].isNaN
        case (.bools(let v), .bool(let b)): return v[i] == b
        default: return false
        }
    }
}
