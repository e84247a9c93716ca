import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceFormats

@Suite struct ParquetRoundTripTests {
    static let codecs: [ParquetCompression] = [.zstd, .snappy, .uncompressed]

    /// Writes `batches` with `options`, reads everything back, and checks it equals the input.
    static func roundTrip(
        _ schema: ParquetSchema, _ batches: [ParquetRowBatch], options: ParquetWriterOptions = ParquetWriterOptions(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> ParquetReader {
        let directory = try TemporaryDirectory("parquet")
        let path = directory.file("t.parquet")
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        for batch in batches { try writer.write(batch) }
        try writer.close()
        let reader = try ParquetReader(path: path)
        #expect(reader.schema == schema, sourceLocation: sourceLocation)
        let expected =
            batches.count == 1
            ? batches[0]
            : ParquetRowBatch(
                schema.columns.indices.map { index in
                    ParquetWriter.concatenate(batches.map { $0.columns[index] }, column: schema.columns[index])
                })
        let actual = try reader.readAll()
        #expect(reader.rowCount == expected.rowCount, sourceLocation: sourceLocation)
        for (index, column) in schema.columns.enumerated() {
            #expect(actual.columns[index] == expected.columns[index], "column \(column.name)", sourceLocation: sourceLocation)
        }
        return reader
    }

    @Test("every type, null pattern and codec round-trips exactly", arguments: codecs, ParquetSamples.NullPattern.allCases)
    func everyTypeAndCodec(codec: ParquetCompression, nulls: ParquetSamples.NullPattern) throws {
        var random = SeededGenerator(seed: 42)
        let schema = ParquetSchema(ParquetSamples.allColumns)
        let batch = ParquetRowBatch(schema.columns.map { ParquetSamples.data(for: $0, rows: 300, nulls: nulls, random: &random) })
        _ = try Self.roundTrip(schema, [batch], options: ParquetWriterOptions(compression: codec))
    }

    @Test("v2 data pages round-trip", arguments: codecs)
    func dataPageV2(codec: ParquetCompression) throws {
        var random = SeededGenerator(seed: 7)
        let schema = ParquetSchema(ParquetSamples.allColumns)
        let batch = ParquetRowBatch(schema.columns.map { ParquetSamples.data(for: $0, rows: 257, nulls: .some, random: &random) })
        var options = ParquetWriterOptions(compression: codec)
        options.dataPageVersion = .v2
        _ = try Self.roundTrip(schema, [batch], options: options)
    }

    @Test("low-cardinality columns are dictionary-encoded; unique ones fall back to PLAIN")
    func dictionaryChoice() throws {
        var random = SeededGenerator(seed: 3)
        let schema = ParquetSchema([.scalar("label", .string), .scalar("id", .int64), .list("tokens", of: .int32)])
        let rows = 50_000
        let labels = ParquetSamples.values(.string, count: rows, lowCardinality: true, random: &random)
        let ids = ParquetValues.int64((0..<rows).map { Int64($0) * 7919 })
        let tokens = ParquetSamples.values(.int32, count: rows * 3, lowCardinality: false, random: &random)
        let batch = ParquetRowBatch([
            ParquetColumnData(labels), ParquetColumnData(ids),
            ParquetColumnData(lists: tokens, offsets: (0...rows).map { $0 * 3 }),
        ])
        let reader = try Self.roundTrip(schema, [batch])
        let chunks = reader.metadata.rowGroups[0].columns.compactMap(\.metaData)
        #expect(chunks[0].encodings.contains(.rleDictionary))
        #expect(!chunks[1].encodings.contains(.rleDictionary))
        #expect(!chunks[2].encodings.contains(.rleDictionary))
    }

    @Test("a dictionary larger than the limit falls back to PLAIN")
    func dictionaryLimit() throws {
        var options = ParquetWriterOptions()
        options.dictionaryPageByteLimit = 64
        let schema = ParquetSchema([.scalar("x", .int32)])
        let batch = ParquetRowBatch([ParquetColumnData(.int32((0..<1000).map { Int32($0 % 40) }))])
        let reader = try Self.roundTrip(schema, [batch], options: options)
        #expect(reader.metadata.rowGroups[0].columns[0].metaData?.encodings.contains(.rleDictionary) == false)
    }

    @Test("row groups are cut by byte size and pages by page size")
    func rowGroupsAndPages() throws {
        var random = SeededGenerator(seed: 11)
        var options = ParquetWriterOptions()
        options.rowGroupByteSize = 64 << 10
        options.pageByteSize = 4 << 10
        let schema = ParquetSchema([.list("tokens", of: .int32), .scalar("name", .string, nullable: true)])
        let batches = (0..<10).map { _ in
            ParquetRowBatch(schema.columns.map { ParquetSamples.data(for: $0, rows: 1000, nulls: .some, maxListLength: 10, random: &random) })
        }
        let reader = try Self.roundTrip(schema, batches, options: options)
        #expect(reader.rowGroupCount > 1)
        #expect(reader.rowCount == 10_000)
        let total = (0..<reader.rowGroupCount).reduce(0) { $0 + reader.rowCount(ofRowGroup: $1) }
        #expect(total == 10_000)
    }

    @Test("column projection returns the asked-for columns in the asked-for order")
    func projection() throws {
        let directory = try TemporaryDirectory("parquet")
        let path = directory.file("p.parquet")
        let schema = ParquetSchema([.scalar("a", .int32), .scalar("b", .string), .list("c", of: .float)])
        let writer = try ParquetWriter(path: path, schema: schema)
        let batch = ParquetRowBatch([
            ParquetColumnData(.int32([1, 2])), ParquetColumnData(.string(ParquetStrings(["x", "y"]))),
            ParquetColumnData(lists: .float([1, 2, 3]), offsets: [0, 1, 3]),
        ])
        try writer.write(batch)
        try writer.close()
        let reader = try ParquetReader(path: path)
        let projected = try reader.readRowGroup(0, columns: ["c", "a"])
        #expect(projected.columns == [batch.columns[2], batch.columns[0]])
        #expect(throws: FormatError.self) { try reader.readRowGroup(0, columns: ["nope"]) }
    }

    @Test("key-value metadata and statistics are stored")
    func metadataAndStatistics() throws {
        var options = ParquetWriterOptions()
        options.keyValueMetadata = ["vocabulary": "[\"A\",\"B\"]", "provenance": "test"]
        let schema = ParquetSchema([.scalar("v", .int32, nullable: true), .scalar("s", .string)])
        let batch = ParquetRowBatch([
            ParquetColumnData(.int32([5, 0, -3, 9]), validity: [true, false, true, true]),
            ParquetColumnData(.string(ParquetStrings(["pear", "apple", "zoo", "fig"]))),
        ])
        let reader = try Self.roundTrip(schema, [batch], options: options)
        #expect(reader.keyValueMetadata == options.keyValueMetadata)
        let stats = try #require(reader.metadata.rowGroups[0].columns[0].metaData?.statistics)
        #expect(stats.nullCount == 1)
        #expect(stats.minValue == withUnsafeBytes(of: Int32(-3)) { Array($0) })
        #expect(stats.maxValue == withUnsafeBytes(of: Int32(9)) { Array($0) })
        let strings = try #require(reader.metadata.rowGroups[0].columns[1].metaData?.statistics)
        #expect(strings.minValue == Array("apple".utf8))
        #expect(strings.maxValue == Array("zoo".utf8))
    }

    @Test("an unclosed writer leaves no file at the final path")
    func partialFiles() throws {
        let directory = try TemporaryDirectory("parquet")
        let path = directory.file("p.parquet")
        do {
            let writer = try ParquetWriter(path: path, schema: ParquetSchema([.scalar("a", .int32)]))
            try writer.write(ParquetRowBatch([ParquetColumnData(.int32([1, 2, 3]))]))
            #expect(FileManager.default.fileExists(atPath: path + ".partial"))
            #expect(!FileManager.default.fileExists(atPath: path))
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: path + ".partial"))
    }

    @Test("invalid batches are rejected with invalid-argument errors")
    func invalidBatches() throws {
        let directory = try TemporaryDirectory("parquet")
        let writer = try ParquetWriter(path: directory.file("x.parquet"), schema: ParquetSchema([.scalar("a", .int32), .list("l", of: .int32)]))
        defer { writer.abort() }
        let cases: [ParquetRowBatch] = [
            ParquetRowBatch([ParquetColumnData(.int32([1]))]),
            ParquetRowBatch([ParquetColumnData(.int64([1])), ParquetColumnData(lists: .int32([]), offsets: [0, 0])]),
            ParquetRowBatch([ParquetColumnData(.int32([1]), validity: [false]), ParquetColumnData(lists: .int32([]), offsets: [0, 0])]),
            ParquetRowBatch([ParquetColumnData(.int32([1])), ParquetColumnData(lists: .int32([4]), offsets: [0, 2])]),
            ParquetRowBatch([ParquetColumnData(.int32([1, 2])), ParquetColumnData(lists: .int32([]), offsets: [0, 0])]),
        ]
        for batch in cases {
            let error = #expect(throws: FormatError.self) { try writer.write(batch) }
            #expect(error?.code == .invalidArgument)
        }
    }

    @Test("selecting rows picks whole lists, empty and null ones included, in the order asked")
    func selectingRows() {
        let column = ParquetColumnData(
            lists: .int32([1, 2, 3, 4, 5, 6]), offsets: [0, 2, 2, 5, 5, 6], validity: [true, true, true, false, true])
        let picked = column.selecting([4, 0, 1, 3, 2])
        #expect(picked.listOffsets == [0, 1, 3, 3, 3, 6])
        #expect(picked.values == .int32([6, 1, 2, 3, 4, 5]))
        #expect(picked.validity == [true, true, true, false, true])
        let names = ParquetColumnData(.string(ParquetStrings(["a", "bb", "", "d"])))
        #expect(names.selecting([3, 1]).values == .string(ParquetStrings(["d", "bb"])))
    }

    @Test("an empty file (no rows) round-trips")
    func emptyFile() throws {
        let schema = ParquetSchema([.scalar("a", .int32), .list("b", of: .string, nullable: true)])
        let directory = try TemporaryDirectory("parquet")
        let path = directory.file("e.parquet")
        let writer = try ParquetWriter(path: path, schema: schema)
        try writer.close()
        let reader = try ParquetReader(path: path)
        #expect(reader.rowCount == 0)
        #expect(reader.rowGroupCount == 0)
        #expect(reader.schema == schema)
        #expect(try reader.readAll().rowCount == 0)
    }
}
