/// What `sluice inspect FILE.parquet` shows: schema, rows, row groups with their column chunks
/// (codec, encodings, sizes, statistics), key-value metadata and the first rows.
///
/// Render it with `text` for people or encode it with `JSONEncoder` for tools.
public struct ParquetFileSummary: Sendable, Encodable {
    /// One top-level column.
    public struct Column: Sendable, Encodable {
        /// The column's name.
        public var name: String
        /// `int32`, `list<string>`, … with `?` when nullable.
        public var type: String
        /// The physical type of its values on disk, e.g. `INT32`, `BYTE_ARRAY`.
        public var physicalType: String
        /// Whether a row may be null (a null value, or a null list).
        public var nullable: Bool
    }

    /// One column chunk of one row group.
    public struct ColumnChunk: Sendable, Encodable {
        /// The column's path in the schema, joined with dots (e.g. `genes.list.element`).
        public var path: String
        /// The compression codec, e.g. `ZSTD`.
        public var codec: String
        /// The encodings the footer lists for the chunk, e.g. `PLAIN`, `RLE_DICTIONARY`.
        public var encodings: [String]
        /// Number of values the footer records for the chunk.
        public var values: Int64
        /// Compressed size of the chunk in bytes, as the footer records it.
        public var compressedBytes: Int64
        /// Uncompressed size of the chunk in bytes, as the footer records it.
        public var uncompressedBytes: Int64
        /// Number of nulls, when the writer stored it.
        public var nullCount: Int64?
        /// Bounds shown as text (numbers decoded, strings as UTF-8), when the writer stored them.
        public var min: String?
        /// The upper bound, shown like `min`.
        public var max: String?
    }

    /// One row group.
    public struct RowGroup: Sendable, Encodable {
        /// Number of rows in the group.
        public var rows: Int64
        /// The compressed bytes of its column chunks, summed.
        public var compressedBytes: Int64
        /// The uncompressed bytes of its column chunks, summed.
        public var uncompressedBytes: Int64
        /// Its column chunks that have metadata, in file order.
        public var columns: [ColumnChunk]
    }

    /// The file's path.
    public var path: String
    /// The file's size in bytes.
    public var fileBytes: Int
    /// The writer's `created_by` string, if the file has one.
    public var createdBy: String?
    /// The format version from the footer.
    public var formatVersion: Int32
    /// The total number of rows.
    public var rows: Int
    /// The columns Sluice can read, in file order.
    public var columns: [Column]
    /// Columns present in the file that Sluice cannot read, with the reason.
    public var unsupportedColumns: [String: String]
    /// Every codec any column chunk uses, sorted.
    public var codecs: [String]
    /// Every encoding any column chunk uses, sorted.
    public var encodings: [String]
    /// The compressed bytes of all row groups, summed.
    public var compressedBytes: Int64
    /// The uncompressed bytes of all row groups, summed.
    public var uncompressedBytes: Int64
    /// The row groups, in file order.
    public var rowGroups: [RowGroup]
    /// Key-value metadata from the footer (a key without a value maps to "").
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
