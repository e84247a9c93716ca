/// Reads Parquet files written by Sluice, pyarrow and other writers, one row group at a time.
///
/// Opening a file reads and checks only the footer: the magic bytes, the footer length, the
/// schema tree and every column chunk's byte range are validated against the file size before
/// anything else is read. `readRowGroup(_:columns:)` then reads the requested columns of one row
/// group, so memory is bounded by a row group, not by the file.
///
/// Reads v1 and v2 data pages; PLAIN, RLE_DICTIONARY / PLAIN_DICTIONARY and RLE (booleans)
/// encodings; ZSTD, SNAPPY, GZIP and uncompressed pages. Columns of other shapes (structs, maps,
/// nested lists, INT96, fixed-length byte arrays) are listed in `unsupportedColumns` and skipped.
/// A reader is not thread-safe; open one per thread.
public final class ParquetReader {
    /// The file's path.
    public let path: String
    /// The file's size in bytes.
    public let fileSize: Int
    /// The columns Sluice can read, in file order.
    public let schema: ParquetSchema
    /// Columns the file holds but Sluice cannot read, with the reason for each.
    public let unsupportedColumns: [String: String]
    /// The total number of rows.
    public let rowCount: Int
    /// Key-value metadata from the footer (a key without a value maps to "").
    public let keyValueMetadata: [String: String]
    /// The `created_by` string of the writer, if any.
    public let createdBy: String?

    let metadata: ThriftFileMetaData
    let footerLength: Int
    let leaves: [ParquetLeafColumn]
    private let file: PosixFile
    private let decompressor = PageDecompressor()

    /// Opens `path` and validates its footer.
    public init(path: String) throws {
        self.path = path
        file = try PosixFile.openForReading(path)
        fileSize = try file.size()
        func corrupt(_ message: String) -> FormatError { FormatError(.corruptData, path: path, message) }
        guard fileSize >= 12 else {
            throw FormatError(.unknownFormat, path: path, "the file is \(fileSize) bytes, too short to be Parquet")
        }
        let head = try file.read(count: 4, at: 0)
        let tail = try file.read(count: 8, at: fileSize - 8)
        guard head == Array("PAR1".utf8) else {
            throw FormatError(.unknownFormat, path: path, "the file does not start with the Parquet magic bytes PAR1")
        }
        if Array(tail[4...]) == Array("PARE".utf8) {
            throw FormatError(.unsupportedEncoding, path: path, "the file is encrypted, which Sluice does not read")
        }
        guard Array(tail[4...]) == Array("PAR1".utf8) else {
            throw corrupt("the file does not end with PAR1, so it is truncated or was never closed")
        }
        let length = Int(tail.withUnsafeBytes { $0.loadUnaligned(as: UInt32.self).littleEndian })
        guard length > 0, length <= fileSize - 12 else {
            throw corrupt("the footer length \(length) does not fit in a file of \(fileSize) bytes")
        }
        footerLength = length
        let footer = try file.read(count: length, at: fileSize - 8 - length)
        var metadata: ThriftFileMetaData
        do {
            metadata = try footer.withUnsafeBytes { bytes in
                var reader = ThriftCompactReader(bytes)
                return try ThriftFileMetaData(from: &reader)
            }
        } catch {
            throw corrupt("the footer does not decode (\(error))")
        }
        self.metadata = metadata
        let (leaves, unsupported, leafCount) = try ParquetLeafColumn.resolve(metadata.schema, path: path)
        self.leaves = leaves
        unsupportedColumns = unsupported
        schema = ParquetSchema(leaves.map(\.column))
        guard metadata.numRows >= 0 else { throw corrupt("the footer gives a negative row count") }
        var rows: Int64 = 0
        let dataEnd = Int64(fileSize - 8 - length)
        for (index, rowGroup) in metadata.rowGroups.enumerated() {
            guard rowGroup.numRows >= 0, rowGroup.columns.count == leafCount else {
                throw corrupt("row group \(index) has \(rowGroup.columns.count) column chunks for \(leafCount) columns")
            }
            rows += rowGroup.numRows
            for chunk in rowGroup.columns {
                guard chunk.filePath == nil else {
                    throw FormatError(.unsupportedEncoding, path: path, "row group \(index) keeps columns in another file, which Sluice does not read")
                }
                guard let meta = chunk.metaData else { throw corrupt("row group \(index) has a column chunk without metadata") }
                let range = Self.byteRange(meta)
                guard range.start >= 4, range.size >= 0, range.start <= dataEnd, range.size <= dataEnd - range.start else {
                    throw corrupt("row group \(index), column \(meta.pathInSchema.joined(separator: ".")): its bytes \(range.start)+\(range.size) lie outside the data section (truncated file?)")
                }
            }
        }
        guard rows == metadata.numRows else {
            throw corrupt("the row groups hold \(rows) rows but the footer says \(metadata.numRows)")
        }
        rowCount = Int(rows)
        var pairs: [String: String] = [:]
        for entry in metadata.keyValueMetadata ?? [] { pairs[entry.key] = entry.value ?? "" }
        keyValueMetadata = pairs
        createdBy = metadata.createdBy
    }

    /// Where a column chunk's pages lie: from its dictionary page (if any) for its compressed size.
    static func byteRange(_ meta: ThriftColumnMetaData) -> (start: Int64, size: Int64) {
        var start = meta.dataPageOffset
        // Some writers store 0 for "no dictionary"; a real dictionary page precedes the data pages.
        if let dictionary = meta.dictionaryPageOffset, dictionary > 0, dictionary < start { start = dictionary }
        return (start, meta.totalCompressedSize)
    }

    /// The number of row groups.
    public var rowGroupCount: Int { metadata.rowGroups.count }

    /// The number of rows in row group `index`.
    public func rowCount(ofRowGroup index: Int) -> Int { Int(metadata.rowGroups[index].numRows) }

    /// Reads row group `index`: the columns named in `columns` (all readable columns when `nil`),
    /// in the order asked for.
    public func readRowGroup(_ index: Int, columns names: [String]? = nil) throws -> ParquetRowBatch {
        guard metadata.rowGroups.indices.contains(index) else {
            throw FormatError(.invalidArgument, path: path, "row group \(index) does not exist (the file has \(rowGroupCount))")
        }
        let rowGroup = metadata.rowGroups[index]
        var batch: [ParquetColumnData] = []
        for leaf in try selectedLeaves(names) {
            let chunk = rowGroup.columns[leaf.leafIndex]
            guard let meta = chunk.metaData else { continue }
            let range = Self.byteRange(meta)
            let bytes = try file.read(count: Int(range.size), at: Int(range.start))
            let reader = ColumnChunkReader(leaf: leaf, path: path, rowGroup: index, decompressor: decompressor)
            batch.append(try reader.read(bytes, metaData: meta, expectedRows: Int(rowGroup.numRows)))
        }
        return ParquetRowBatch(batch)
    }

    /// Reads every row group and joins them (for small files; stream with `readRowGroup` otherwise).
    public func readAll(columns names: [String]? = nil) throws -> ParquetRowBatch {
        let selected = try selectedLeaves(names)
        var parts: [[ParquetColumnData]] = Array(repeating: [], count: selected.count)
        for index in 0..<rowGroupCount {
            for (position, data) in try readRowGroup(index, columns: selected.map(\.column.name)).columns.enumerated() {
                parts[position].append(data)
            }
        }
        return ParquetRowBatch(
            zip(selected, parts).map { leaf, columnParts in
                columnParts.isEmpty
                    ? (leaf.column.isList ? ParquetColumnData(lists: .empty(leaf.column.valueType), offsets: [0]) : ParquetColumnData(.empty(leaf.column.valueType)))
                    : (columnParts.count == 1 ? columnParts[0] : ParquetWriter.concatenate(columnParts, column: leaf.column))
            })
    }

    private func selectedLeaves(_ names: [String]?) throws -> [ParquetLeafColumn] {
        guard let names else { return leaves }
        return try names.map { name in
            if let leaf = leaves.first(where: { $0.column.name == name }) { return leaf }
            if let reason = unsupportedColumns[name] {
                throw FormatError(.unsupportedType, path: path, "column '\(name)' cannot be read: \(reason)")
            }
            throw FormatError(.missingObject, path: path, "the file has no column '\(name)'")
        }
    }
}
