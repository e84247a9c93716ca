import Foundation
import SluiceTestSupport
import Testing

@testable import SluiceFormats

/// Both directions against the reference tools: pyarrow and polars read Sluice's files, and Sluice
/// reads pyarrow's. Runs only when `SLUICE_PYTHON` names a Python with pyarrow and polars
/// (`scripts/crosscheck/check-parquet.sh` sets it); the Swift library itself never runs Python.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_PYTHON"] != nil, "set SLUICE_PYTHON to cross-check with pyarrow"))
struct ParquetCrossCheckTests {
    /// One cell of the JSON exchanged with `parquet_check.py`.
    enum Cell: Codable, Equatable {
        case null, bool(Bool), int(Int64), double(Double), string(String), list([Cell])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let value = try? container.decode(Bool.self) {
                self = .bool(value)
            } else if let value = try? container.decode(Int64.self) {
                self = .int(value)
            } else if let value = try? container.decode(Double.self) {
                self = .double(value)
            } else if let value = try? container.decode(String.self) {
                self = .string(value)
            } else {
                self = .list(try container.decode([Cell].self))
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .null: try container.encodeNil()
            case .bool(let value): try container.encode(value)
            case .int(let value): try container.encode(value)
            case .double(let value): try container.encode(value)
            case .string(let value): try container.encode(value)
            case .list(let value): try container.encode(value)
            }
        }
    }

    struct Column: Codable {
        var name: String
        var type: String
        var list: Bool
        var nullable: Bool
        var rows: [Cell]
    }

    struct Expected: Codable {
        var metadata: [String: String]
        var columns: [Column]
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// Runs `parquet_check.py MODE DIRECTORY`; returns its exit status and output.
    static func runCheck(_ mode: String, _ directory: String) async throws -> (Int32, String) {
        try await offThePool { try runCheckBlocking(mode, directory) }
    }

    private static func runCheckBlocking(_ mode: String, _ directory: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["SLUICE_PYTHON"]!)
        process.arguments = [repositoryRoot.appendingPathComponent("scripts/crosscheck/parquet_check.py").path, mode, directory]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    static func cells(_ data: ParquetColumnData) -> [Cell] {
        func cell(_ values: ParquetValues, _ index: Int) -> Cell {
            switch values {
            case .boolean(let v): .bool(v[index])
            case .int32(let v): .int(Int64(v[index]))
            case .int64(let v): .int(v[index])
            case .float(let v): .double(Double(v[index]))
            case .double(let v): .double(v[index])
            case .string(let v): .string(v[index])
            }
        }
        return (0..<data.rowCount).map { row in
            if data.isNull(row) { return .null }
            if let offsets = data.listOffsets { return .list((offsets[row]..<offsets[row + 1]).map { cell(data.values, $0) }) }
            return cell(data.values, row)
        }
    }

    /// Cells compare equal when numbers agree as doubles (JSON does not keep int vs float apart).
    static func same(_ a: Cell, _ b: Cell) -> Bool {
        switch (a, b) {
        case (.int(let x), .double(let y)), (.double(let y), .int(let x)): Double(x) == y
        case (.list(let x), .list(let y)): x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        default: a == b
        }
    }

    @Test("pyarrow and polars read Sluice files with the same schema and values")
    func othersReadSluice() async throws {
        let directory = try TemporaryDirectory("parquet-crosscheck")
        var random = SeededGenerator(seed: 2024)
        let schema = ParquetSchema(ParquetSamples.allColumns)
        let metadata = ["provenance": "sluice crosscheck", "vocabulary": "[\"A\",\"B\"]"]
        let variants: [(String, ParquetCompression, ParquetWriterOptions.DataPageVersion, Bool)] = [
            ("zstd-v1", .zstd, .v1, false), ("zstd-v2", .zstd, .v2, false), ("snappy-v1", .snappy, .v1, false),
            ("none-v2", .uncompressed, .v2, false), ("zstd-lowcard-groups", .zstd, .v1, true),
        ]
        for (name, codec, version, lowCardinality) in variants {
            var options = ParquetWriterOptions(compression: codec)
            options.dataPageVersion = version
            options.keyValueMetadata = metadata
            if lowCardinality {
                options.rowGroupByteSize = 8 << 10
                options.pageByteSize = 1 << 10
            }
            let batch = ParquetRowBatch(
                schema.columns.map {
                    ParquetSamples.data(for: $0, rows: 700, nulls: .some, lowCardinality: lowCardinality, random: &random)
                })
            let writer = try ParquetWriter(path: directory.file("\(name).parquet"), schema: schema, options: options)
            try writer.write(batch.slice(0..<300))
            try writer.write(batch.slice(300..<700))
            try writer.close()
            let expected = Expected(
                metadata: metadata,
                columns: zip(schema.columns, batch.columns).map { column, data in
                    Column(name: column.name, type: column.valueType.rawValue, list: column.isList, nullable: column.isNullable, rows: Self.cells(data))
                })
            try JSONEncoder().encode(expected).write(to: URL(fileURLWithPath: directory.file("\(name).json")))
        }
        let (status, output) = try await Self.runCheck("verify", directory.path)
        #expect(status == 0, "\(output)")
        // Guards against a check that silently looked at nothing.
        #expect(output.components(separatedBy: "pyarrow and polars agree").count - 1 == variants.count, "\(output)")
    }

    @Test("Sluice reads pyarrow files: dictionary, v1 and v2 pages, every codec")
    func sluiceReadsPyarrow() async throws {
        let directory = try TemporaryDirectory("parquet-crosscheck")
        let (status, output) = try await Self.runCheck("write", directory.path)
        try #require(status == 0, "\(output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".parquet") }.sorted()
        try #require(files.count >= 8)
        for file in files {
            let path = directory.file(file)
            let expected = try JSONDecoder().decode(
                Expected.self, from: Data(contentsOf: URL(fileURLWithPath: path.replacingOccurrences(of: ".parquet", with: ".json"))))
            let reader = try ParquetReader(path: path)
            for (key, value) in expected.metadata { #expect(reader.keyValueMetadata[key] == value, "\(file)") }
            let batch = try reader.readAll()
            #expect(reader.rowCount == expected.columns[0].rows.count, "\(file)")
            for column in expected.columns {
                let index = try #require(reader.schema.index(of: column.name), "\(file): no column \(column.name)")
                let described = reader.schema.columns[index]
                #expect(
                    described.valueType.rawValue == column.type && described.isList == column.list && described.isNullable == column.nullable,
                    "\(file): column \(column.name) reads as \(described.typeDescription)")
                let actual = Self.cells(batch.columns[index])
                let mismatch = zip(actual, column.rows).enumerated().first { !Self.same($0.element.0, $0.element.1) }
                #expect(mismatch == nil, "\(file): column \(column.name) row \(mismatch?.offset ?? -1): \(String(describing: mismatch?.element))")
            }
        }
    }
}
