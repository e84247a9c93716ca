/// Writes a Parquet file row batch by row batch, with memory bounded by the row-group size.
///
/// Rows are buffered until they hold about `options.rowGroupByteSize` bytes, then encoded and
/// written as one row group. The file is written as `path + ".partial"`; `close()` writes the
/// footer, fsyncs and renames it to `path`, so a crash or a writer that is never closed leaves
/// no file that could be mistaken for a complete one (DESIGN.md rule 2). A writer dropped without
/// `close()` removes its partial file.
///
/// ```swift
/// let schema = ParquetSchema([.scalar("cell_id", .string), .list("input_ids", of: .int32)])
/// let writer = try ParquetWriter(path: "chunk_0000.parquet", schema: schema)
/// try writer.write(ParquetRowBatch([
///     ParquetColumnData(.string(ParquetStrings(["AAAC-1", "AAAG-1"]))),
///     ParquetColumnData(lists: .int32([5, 9, 2]), offsets: [0, 2, 3]),
/// ]))
/// try writer.close()
/// ```
public final class ParquetWriter {
    /// The final path of the file (it exists only after `close()`).
    public let path: String
    /// The columns every batch must hold, in order.
    public let schema: ParquetSchema
    /// How the file is encoded.
    public let options: ParquetWriterOptions

    private let partialPath: String
    private var file: PosixFile?
    private let compressor: PageCompressor
    private var position = 0
    private var outputBuffer: [UInt8] = []
    private var pending: [ParquetRowBatch] = []
    private var pendingBytes = 0
    private var rowGroups: [ThriftRowGroup] = []
    private var rowCount: Int64 = 0
    private static let magic: [UInt8] = Array("PAR1".utf8)
    private static let outputBufferSize = 4 << 20

    /// Starts writing `path + ".partial"` (replacing any earlier partial file).
    public init(path: String, schema: ParquetSchema, options: ParquetWriterOptions = ParquetWriterOptions()) throws {
        guard !schema.columns.isEmpty else {
            throw FormatError(.invalidArgument, path: path, "a Parquet schema needs at least one column")
        }
        var names = Set<String>()
        for column in schema.columns {
            guard !column.name.isEmpty, names.insert(column.name).inserted else {
                throw FormatError(.invalidArgument, path: path, "column names must be non-empty and unique ('\(column.name)')")
            }
        }
        guard options.rowGroupByteSize > 0, options.pageByteSize > 0 else {
            throw FormatError(.invalidArgument, path: path, "row-group and page sizes must be positive")
        }
        self.path = path
        self.schema = schema
        self.options = options
        self.partialPath = AtomicCommit.partialPath(of: path)
        self.compressor = try PageCompressor(codec: options.compression, zstdLevel: options.zstdLevel, path: path)
        self.file = try PosixFile.create(partialPath)
        outputBuffer.reserveCapacity(Self.outputBufferSize)
        try emit(Self.magic)
    }

    /// Where a partial file stands after its last whole row group: what ``init(resuming:schema:options:snapshot:)``
    /// goes on from, after a crash that cut what was written after it.
    public struct Snapshot: Sendable, Codable, Hashable {
        /// The bytes of the partial file the row groups end at.
        public var length: Int
        /// The rows in them.
        public var rows: Int64
        /// Their metadata, as the footer encodes it.
        public var rowGroups: [UInt8]
    }

    /// Goes on writing the partial file of `path` from `snapshot`: the file is cut to the
    /// snapshot's length (what was written after it is dropped) and the next row group follows.
    public init(resuming path: String, schema: ParquetSchema, options: ParquetWriterOptions = ParquetWriterOptions(), snapshot: Snapshot) throws {
        self.path = path
        self.schema = schema
        self.options = options
        self.partialPath = AtomicCommit.partialPath(of: path)
        self.compressor = try PageCompressor(codec: options.compression, zstdLevel: options.zstdLevel, path: path)
        let groups: ThriftFileMetaData
        do {
            groups = try snapshot.rowGroups.withUnsafeBytes { bytes in
                var reader = ThriftCompactReader(bytes)
                return try ThriftFileMetaData(from: &reader)
            }
        } catch {
            throw FormatError(.corruptData, path: path, "its checkpoint's row groups do not decode (\(error))")
        }
        self.file = try PosixFile.openCut(partialPath, to: snapshot.length)
        outputBuffer.reserveCapacity(Self.outputBufferSize)
        rowGroups = groups.rowGroups
        rowCount = snapshot.rows
        position = snapshot.length
    }

    deinit {
        if file != nil { PosixFile.remove(partialPath) }
    }

    /// The number of rows written so far (including rows still buffered).
    public var rowsWritten: Int64 { rowCount + Int64(pending.reduce(0) { $0 + $1.rowCount }) }

    /// Appends `batch`, whose columns must match the schema; writes a row group when enough rows
    /// are buffered.
    public func write(_ batch: ParquetRowBatch) throws {
        guard file != nil else { throw FormatError(.invalidArgument, path: path, "the writer is already closed") }
        guard batch.columns.count == schema.columns.count else {
            throw FormatError(.invalidArgument, path: path, "a batch has \(batch.columns.count) columns but the schema has \(schema.columns.count)")
        }
        let rows = batch.rowCount
        for (column, data) in zip(schema.columns, batch.columns) {
            try data.validate(against: column, path: path)
            guard data.rowCount == rows else {
                throw FormatError(.invalidArgument, path: path, "column '\(column.name)' has \(data.rowCount) rows but the batch has \(rows)")
            }
        }
        guard rows > 0 else { return }
        pending.append(batch)
        pendingBytes += batch.columns.reduce(0) { $0 + Self.estimatedBytes($1) }
        if pendingBytes >= options.rowGroupByteSize { try flushRowGroup() }
    }

    /// Writes the rows buffered so far as a row group now: the next batch starts another.
    public func endRowGroup() throws {
        guard file != nil else { throw FormatError(.invalidArgument, path: path, "the writer is already closed") }
        try flushRowGroup()
    }

    /// The bytes of the partial file so far (its buffered rows written as a row group), flushed
    /// to disk, as a snapshot to resume from.
    public func snapshot() throws -> Snapshot {
        guard let file else { throw FormatError(.invalidArgument, path: path, "the writer is already closed") }
        try flushRowGroup()
        try flushOutput()
        try file.sync()
        var metadata = ThriftFileMetaData()
        metadata.version = 2
        metadata.schema = schema.thriftElements
        metadata.numRows = rowCount
        metadata.rowGroups = rowGroups
        var writer = ThriftCompactWriter()
        metadata.encode(into: &writer)
        return Snapshot(length: position, rows: rowCount, rowGroups: writer.bytes)
    }

    /// The bytes written so far, buffered rows not counted.
    public var bytesWritten: Int { position }

    /// Writes buffered rows, the footer, fsyncs, and renames the partial file to `path`.
    public func close() throws {
        guard let file else { throw FormatError(.invalidArgument, path: path, "the writer is already closed") }
        do {
            try flushRowGroup()
            var metadata = ThriftFileMetaData()
            metadata.version = 2
            metadata.schema = schema.thriftElements
            metadata.numRows = rowCount
            metadata.rowGroups = rowGroups
            metadata.createdBy = "sluice version 0.1.0"
            if !options.keyValueMetadata.isEmpty {
                metadata.keyValueMetadata = options.keyValueMetadata.sorted { $0.key < $1.key }
                    .map { ThriftKeyValue(key: $0.key, value: $0.value) }
            }
            metadata.writesColumnOrders = options.statisticsEnabled
            var writer = ThriftCompactWriter()
            metadata.encode(into: &writer)
            try emit(writer.bytes)
            try emit(withUnsafeBytes(of: UInt32(writer.bytes.count).littleEndian) { Array($0) })
            try emit(Self.magic)
            try flushOutput()
            try file.close()
            self.file = nil
            try AtomicCommit.commit(partialPath, to: path)
        } catch {
            self.file = nil
            PosixFile.remove(partialPath)
            throw error
        }
    }

    /// Abandons the file: removes the partial file and writes nothing more.
    public func abort() {
        guard file != nil else { return }
        file = nil
        PosixFile.remove(partialPath)
    }

    /// Bytes a column's data holds in memory, to decide when a row group is full.
    private static func estimatedBytes(_ data: ParquetColumnData) -> Int {
        var bytes = data.values.count * data.values.valueType.plainWidth
        if case .string(let strings) = data.values { bytes += strings.bytes.count + 8 * strings.count }
        if let offsets = data.listOffsets { bytes += offsets.count * 8 }
        if let validity = data.validity { bytes += validity.count }
        return bytes
    }

    private func flushRowGroup() throws {
        guard !pending.isEmpty else { return }
        let batches = pending
        pending = []
        pendingBytes = 0
        let rows = batches.reduce(0) { $0 + $1.rowCount }
        var rowGroup = ThriftRowGroup()
        rowGroup.numRows = Int64(rows)
        rowGroup.fileOffset = Int64(position)
        rowGroup.ordinal = Int16(truncatingIfNeeded: rowGroups.count)
        var uncompressed: Int64 = 0
        for (index, column) in schema.columns.enumerated() {
            let data = batches.count == 1 ? batches[0].columns[index] : Self.concatenate(batches.map { $0.columns[index] }, column: column)
            let encoder = ColumnChunkEncoder(column: column, options: options, path: path)
            let start = position
            let metaData = try encoder.encode(data, compressor: compressor, offset: start) { bytes in
                try self.emit(bytes)
            }
            uncompressed += metaData.totalUncompressedSize
            rowGroup.columns.append(ThriftColumnChunk(fileOffset: Int64(start), metaData: metaData))
        }
        rowGroup.totalByteSize = uncompressed
        rowGroup.totalCompressedSize = Int64(position) - (rowGroup.fileOffset ?? 0)
        rowGroups.append(rowGroup)
        rowCount += Int64(rows)
    }

    /// One column's data from several batches, joined with one allocation per buffer.
    static func concatenate(_ parts: [ParquetColumnData], column: ParquetColumn) -> ParquetColumnData {
        let values = ParquetValues.concatenated(parts.map(\.values), type: column.valueType)
        var validity: [Bool]?
        if parts.contains(where: { $0.validity != nil }) {
            var mask: [Bool] = []
            mask.reserveCapacity(parts.reduce(0) { $0 + $1.rowCount })
            for part in parts { mask += part.validity ?? [Bool](repeating: true, count: part.rowCount) }
            validity = mask
        }
        guard column.isList else { return ParquetColumnData(values, validity: validity) }
        var offsets: [Int] = [0]
        offsets.reserveCapacity(parts.reduce(1) { $0 + $1.rowCount })
        var base = 0
        for part in parts {
            for offset in (part.listOffsets ?? [0]).dropFirst() { offsets.append(base + offset) }
            base += part.values.count
        }
        return ParquetColumnData(lists: values, offsets: offsets, validity: validity)
    }

    private func emit(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in try emit(raw) }
    }

    /// Appends bytes to the output, writing through a 4 MiB buffer (large blocks go straight out).
    private func emit(_ bytes: UnsafeRawBufferPointer) throws {
        position += bytes.count
        if outputBuffer.count + bytes.count <= Self.outputBufferSize {
            outputBuffer.append(contentsOf: bytes)
            return
        }
        try flushOutput()
        if bytes.count >= Self.outputBufferSize {
            try file?.write(bytes)
        } else {
            outputBuffer.append(contentsOf: bytes)
        }
    }

    private func flushOutput() throws {
        guard !outputBuffer.isEmpty else { return }
        try outputBuffer.withUnsafeBytes { raw in try file?.write(raw) }
        outputBuffer.removeAll(keepingCapacity: true)
    }
}
