/// What `sluice inspect FILE.parquet` shows: schema, rows, row groups with their column chunks
/// (codec, encodings, sizes, statistics), key-value metadata and the first rows.
///
/// Render it with `text` for people or encode it with `JSONEncoder` for tools.
public struct ParquetFileSummary: Sendable, Encodable {
    /// One top-level column.
    public struct Column: Sendable, Encodable {
        public var name: String
        /// `int32`, `list<string>`, … with `?` when nullable.
        public var type: String
        public var physicalType: String
        public var nullable: Bool
    }

    /// One column chunk of one row group.
    public struct ColumnChunk: Sendable, Encodable {
        public var path: String
        public var codec: String
        public var encodings: [String]
        public var values: Int64
        public var compressedBytes: Int64
        public var uncompressedBytes: Int64
        public var nullCount: Int64?
        /// Bounds shown as text (numbers decoded, strings as UTF-8), when the writer stored them.
        public var min: String?
        public var max: String?
    }

    /// One row group.
    public struct RowGroup: Sendable, Encodable {
        public var rows: Int64
        public var compressedBytes: Int64
        public var uncompressedBytes: Int64
        public var columns: [ColumnChunk]
    }

    public var path: String
    public var fileBytes: Int
    public var createdBy: String?
    public var formatVersion: Int32
    public var rows: Int
    public var columns: [Column]
    /// Columns present in the file that Sluice cannot read, with the reason.
    public var unsupportedColumns: [String: String]
    public var codecs: [String]
    public var encodings: [String]
    public var compressedBytes: Int64
    public var uncompressedBytes: Int64
    public var rowGroups: [RowGroup]
    public var keyValueMetadata: [String: String]
    /// The first rows, one cell per entry of `columns` (lists shortened).
    public var firstRows: [[ParquetCellValue]]

    /// Summarises the file `reader` has open, reading only enough row groups for `firstRows` rows.
    public init(_ reader: ParquetReader, firstRows rowLimit: Int = 5, maxListLength: Int = 8) throws {
        path = reader.path
        fileBytes = reader.fileSize
        createdBy = reader.createdBy
        formatVersion = reader.metadata.version
        rows = reader.rowCount
        unsupportedColumns = reader.unsupportedColumns
        keyValueMetadata = reader.keyValueMetadata
        columns = reader.leaves.map {
            Column(name: $0.column.name, type: $0.column.typeDescription, physicalType: $0.physicalType.description, nullable: $0.column.isNullable)
        }
        var codecs = Set<String>()
        var encodings = Set<String>()
        rowGroups = reader.metadata.rowGroups.map { group in
            let chunks = group.columns.compactMap(\.metaData).map { meta in
                codecs.insert(meta.codec.description)
                meta.encodings.forEach { encodings.insert($0.description) }
                return ColumnChunk(
                    path: meta.pathInSchema.joined(separator: "."), codec: meta.codec.description,
                    encodings: meta.encodings.map(\.description), values: meta.numValues,
                    compressedBytes: meta.totalCompressedSize, uncompressedBytes: meta.totalUncompressedSize,
                    nullCount: meta.statistics?.nullCount,
                    min: Self.bound(meta.statistics?.minValue ?? meta.statistics?.min, meta.type),
                    max: Self.bound(meta.statistics?.maxValue ?? meta.statistics?.max, meta.type))
            }
            return RowGroup(
                rows: group.numRows, compressedBytes: chunks.reduce(0) { $0 + $1.compressedBytes },
                uncompressedBytes: chunks.reduce(0) { $0 + $1.uncompressedBytes }, columns: chunks)
        }
        self.codecs = codecs.sorted()
        self.encodings = encodings.sorted()
        compressedBytes = rowGroups.reduce(0) { $0 + $1.compressedBytes }
        uncompressedBytes = rowGroups.reduce(0) { $0 + $1.uncompressedBytes }
        var shown: [[ParquetCellValue]] = []
        var group = 0
        while shown.count < rowLimit && group < reader.rowGroupCount {
            let batch = try reader.readRowGroup(group)
            for row in 0..<min(batch.rowCount, rowLimit - shown.count) {
                shown.append(batch.columns.map { ParquetCellValue.cell($0, row: row, maxListLength: maxListLength) })
            }
            group += 1
        }
        firstRows = shown
    }

    /// Opens `path` and summarises it.
    public init(path: String, firstRows: Int = 5) throws {
        try self.init(try ParquetReader(path: path), firstRows: firstRows)
    }

    private static func bound(_ bytes: [UInt8]?, _ type: ParquetPhysicalType) -> String? {
        guard let bytes else { return nil }
        func load<T>(_: T.Type) -> T? {
            bytes.count == MemoryLayout<T>.size ? bytes.withUnsafeBytes { $0.loadUnaligned(as: T.self) } : nil
        }
        switch type {
        case .boolean: return bytes.first.map { $0 != 0 ? "true" : "false" }
        case .int32: return load(Int32.self).map { String($0) }
        case .int64: return load(Int64.self).map { String($0) }
        case .float: return load(Float.self).map { String($0) }
        case .double: return load(Double.self).map { String($0) }
        case .byteArray: return String(decoding: bytes.prefix(64), as: UTF8.self)
        default: return nil
        }
    }

    /// A human-readable report.
    public var text: String {
        func size(_ bytes: Int64) -> String {
            bytes >= 1 << 20 ? "\(Double(bytes * 10 / (1 << 20)) / 10) MiB" : bytes >= 1 << 10 ? "\(Double(bytes * 10 / (1 << 10)) / 10) KiB" : "\(bytes) B"
        }
        var lines: [String] = []
        lines.append("\(path): Parquet, \(rows) rows, \(columns.count) columns, \(rowGroups.count) row groups, \(size(Int64(fileBytes)))")
        if let createdBy { lines.append("created by: \(createdBy) (format version \(formatVersion))") }
        lines.append("codecs: \(codecs.joined(separator: ", ")); encodings: \(encodings.joined(separator: ", "))")
        lines.append("data: \(size(compressedBytes)) compressed, \(size(uncompressedBytes)) uncompressed")
        lines.append("schema:")
        let width = columns.map(\.name.count).max() ?? 0
        for column in columns {
            lines.append("  \(column.name + String(repeating: " ", count: width - column.name.count))  \(column.type)  (\(column.physicalType))")
        }
        for (name, reason) in unsupportedColumns.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name)  (not readable: \(reason))")
        }
        for (index, group) in rowGroups.enumerated() {
            lines.append("row group \(index): \(group.rows) rows, \(size(group.compressedBytes)) compressed")
            for chunk in group.columns {
                var line = "  \(chunk.path): \(chunk.codec) \(chunk.encodings.joined(separator: "/")), \(size(chunk.compressedBytes)) / \(size(chunk.uncompressedBytes))"
                if let nulls = chunk.nullCount { line += ", nulls \(nulls)" }
                if let low = chunk.min, let high = chunk.max { line += ", min \(low), max \(high)" }
                lines.append(line)
            }
        }
        if !keyValueMetadata.isEmpty {
            lines.append("key-value metadata:")
            for (key, value) in keyValueMetadata.sorted(by: { $0.key < $1.key }) {
                lines.append("  \(key): \(value.count > 120 ? String(value.prefix(120)) + "… (\(value.count) chars)" : value)")
            }
        }
        if !firstRows.isEmpty {
            lines.append("first \(firstRows.count) rows:")
            for row in firstRows {
                lines.append("  " + zip(columns, row).map { "\($0.name)=\($1)" }.joined(separator: "  "))
            }
        }
        return lines.joined(separator: "\n")
    }
}
