import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceFormats

/// Truncated and corrupted files must give `FormatError`s: never a crash, a hang or a huge
/// allocation. Each case opens the damaged file and reads every row group.
@Suite struct ParquetFuzzTests {
    /// A small valid file holding every column shape, with dictionary pages and both page kinds.
    static func validFile(in directory: TemporaryDirectory, version: ParquetWriterOptions.DataPageVersion, codec: ParquetCompression) throws -> [UInt8] {
        var random = SeededGenerator(seed: 99)
        let schema = ParquetSchema(ParquetSamples.allColumns)
        let batch = ParquetRowBatch(schema.columns.map { ParquetSamples.data(for: $0, rows: 120, nulls: .some, lowCardinality: true, random: &random) })
        var options = ParquetWriterOptions(compression: codec)
        options.dataPageVersion = version
        options.rowGroupByteSize = 2 << 10
        options.pageByteSize = 256
        options.keyValueMetadata = ["k": "v"]
        let path = directory.file("valid.parquet")
        let writer = try ParquetWriter(path: path, schema: schema, options: options)
        try writer.write(batch)
        try writer.close()
        return try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Opens and fully reads `bytes`; returns whether it failed with a `FormatError`.
    static func readFully(_ bytes: [UInt8], in directory: TemporaryDirectory) throws -> Bool {
        let path = directory.file("damaged.parquet")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            let reader = try ParquetReader(path: path)
            for group in 0..<reader.rowGroupCount { _ = try reader.readRowGroup(group) }
            _ = try ParquetFileSummary(reader)
            return false
        } catch is FormatError {
            return true
        }
    }

    @Test("every truncation of a valid file is an error", arguments: [ParquetCompression.zstd, .snappy, .uncompressed])
    func truncations(codec: ParquetCompression) throws {
        let directory = try TemporaryDirectory("parquet-fuzz")
        let valid = try Self.validFile(in: directory, version: .v1, codec: codec)
        #expect(try !Self.readFully(valid, in: directory))
        var random = SeededGenerator(seed: 1)
        var lengths = Array(0..<16) + (0..<120).map { _ in Int.random(in: 0..<valid.count, using: &random) }
        lengths += (1...16).map { valid.count - $0 }
        for length in lengths {
            #expect(try Self.readFully(Array(valid.prefix(length)), in: directory), "truncated to \(length) of \(valid.count) bytes")
        }
    }

    @Test("random byte flips give errors or valid data, never a crash", arguments: [ParquetWriterOptions.DataPageVersion.v1, .v2], [ParquetCompression.zstd, .uncompressed])
    func byteFlips(version: ParquetWriterOptions.DataPageVersion, codec: ParquetCompression) throws {
        let directory = try TemporaryDirectory("parquet-fuzz")
        let valid = try Self.validFile(in: directory, version: version, codec: codec)
        var random = SeededGenerator(seed: 1234)
        var failures = 0
        for _ in 0..<300 {
            var damaged = valid
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<damaged.count, using: &random)
                damaged[index] = UInt8.random(in: 0...255, using: &random)
            }
            if try Self.readFully(damaged, in: directory) { failures += 1 }
        }
        // Most flips land in page data or the footer and are caught; the rest change values silently
        // (Parquet has no checksums unless a writer adds page CRCs).
        #expect(failures > 0)
    }

    @Test("the footer's thrift fields are fuzzed without crashes")
    func footerFlips() throws {
        let directory = try TemporaryDirectory("parquet-fuzz")
        let valid = try Self.validFile(in: directory, version: .v1, codec: .zstd)
        let footerLength = Int(valid[(valid.count - 8)..<(valid.count - 4)].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        let footerStart = valid.count - 8 - footerLength
        var random = SeededGenerator(seed: 77)
        for _ in 0..<400 {
            var damaged = valid
            let index = Int.random(in: footerStart..<(valid.count - 8), using: &random)
            damaged[index] = UInt8.random(in: 0...255, using: &random)
            _ = try Self.readFully(damaged, in: directory)
        }
    }

    @Test("files that are not Parquet are rejected with unknown-format")
    func notParquet() throws {
        let directory = try TemporaryDirectory("parquet-fuzz")
        let path = directory.file("text.parquet")
        try Data("this is not a parquet file at all, just text".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: FormatError.self) { try ParquetReader(path: path) }
        #expect(error?.code == .unknownFormat)
        let missing = #expect(throws: FormatError.self) { try ParquetReader(path: directory.file("missing.parquet")) }
        #expect(missing?.code == .fileNotFound)
    }

    @Test("a partial file that was never closed is reported as truncated")
    func unclosedFile() throws {
        let directory = try TemporaryDirectory("parquet-fuzz")
        let valid = try Self.validFile(in: directory, version: .v1, codec: .zstd)
        let withoutFooter = Array(valid.prefix(valid.count / 2))
        let path = directory.file("half.parquet")
        try Data(withoutFooter).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: FormatError.self) { try ParquetReader(path: path) }
        #expect(error?.code == .corruptData)
        #expect(error?.message.contains("never closed") == true)
    }
}
