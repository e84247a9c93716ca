/// Encodes one column of one row group: plans pages, builds levels, chooses PLAIN or dictionary,
/// compresses, and emits page bytes to a sink. Returns the chunk's `ColumnMetaData`.
///
/// Levels follow the Dremel scheme for the two shapes Sluice writes:
/// - a scalar column has one definition level per row when nullable (1 present, 0 null) and no
///   repetition levels;
/// - a list column has repetition level 0 at the start of each row and 1 for later elements, and
///   definition level `maxDefinition` for an element, `maxDefinition - 1` for an empty list and
///   0 for a null list (only in a nullable column).
struct ColumnChunkEncoder {
    let column: ParquetColumn
    let options: ParquetWriterOptions
    let path: String

    var maxRepetition: Int { column.isList ? 1 : 0 }
    var maxDefinition: Int { (column.isNullable ? 1 : 0) + (column.isList ? 1 : 0) }

    /// The chunk's non-null values as one contiguous array (null rows of scalar columns dropped).
    private func denseValues(_ data: ParquetColumnData) -> ParquetValues {
        guard !column.isList, let validity = data.validity else { return data.values }
        func gather<T>(_ values: [T]) -> [T] {
            var dense: [T] = []
            dense.reserveCapacity(values.count)
            for (index, valid) in validity.enumerated() where valid { dense.append(values[index]) }
            return dense
        }
        switch data.values {
        case .boolean(let values): return .boolean(gather(values))
        case .int32(let values): return .int32(gather(values))
        case .int64(let values): return .int64(gather(values))
        case .float(let values): return .float(gather(values))
        case .double(let values): return .double(gather(values))
        case .string(let strings):
            var dense = ParquetStrings()
            dense.reserveCapacity(strings: strings.count, bytes: strings.bytes.count)
            for (index, valid) in validity.enumerated() where valid {
                dense.append(bytes: strings.bytes[strings.offsets[index]..<strings.offsets[index + 1]])
            }
            return .string(dense)
        }
    }

    /// Encodes `data` (already validated against `column`), starting at file offset `offset`.
    func encode(
        _ data: ParquetColumnData, compressor: PageCompressor, offset: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> ThriftColumnMetaData {
        switch denseValues(data) {
        case .boolean(let values):
            return try encode(data, source: BooleanValueSource(values: values), compressor: compressor, offset: offset, sink: sink)
        case .int32(let values):
            return try encode(data, source: FixedWidthValueSource(values: values), compressor: compressor, offset: offset, sink: sink)
        case .int64(let values):
            return try encode(data, source: FixedWidthValueSource(values: values), compressor: compressor, offset: offset, sink: sink)
        case .float(let values):
            return try encode(data, source: FixedWidthValueSource(values: values), compressor: compressor, offset: offset, sink: sink)
        case .double(let values):
            return try encode(data, source: FixedWidthValueSource(values: values), compressor: compressor, offset: offset, sink: sink)
        case .string(let strings):
            return try encode(data, source: StringValueSource(strings: strings), compressor: compressor, offset: offset, sink: sink)
        }
    }

    /// Cuts the chunk into pages of about `pageByteSize` value bytes, at row boundaries.
    func planPages<Source: PageValueSource>(_ data: ParquetColumnData, source: Source) -> [PagePlan] {
        var pages: [PagePlan] = []
        let rowCount = data.rowCount
        var rowStart = 0
        var valueStart = 0
        var value = 0
        var levels = 0
        // Checking the byte size costs a little, so only do it every few rows for scalar columns.
        let checkEvery = column.isList ? 1 : 64
        for row in 0..<rowCount {
            if let offsets = data.listOffsets {
                let length = offsets[row + 1] - offsets[row]
                value += length
                levels += Swift.max(1, length)
            } else {
                if !data.isNull(row) { value += 1 }
                levels += 1
            }
            let isLast = row + 1 == rowCount
            if isLast || (row - rowStart + 1) % checkEvery == 0 {
                let bytes = source.plainByteCount(valueStart..<value) + levels / 4
                if isLast || bytes >= options.pageByteSize {
                    pages.append(PagePlan(rows: rowStart..<(row + 1), values: valueStart..<value, levelCount: levels))
                    rowStart = row + 1
                    valueStart = value
                    levels = 0
                }
            }
        }
        if pages.isEmpty { pages.append(PagePlan(rows: 0..<0, values: 0..<0, levelCount: 0)) }
        return pages
    }

    private func encode<Source: PageValueSource>(
        _ data: ParquetColumnData, source: Source, compressor: PageCompressor, offset: Int,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> ThriftColumnMetaData {
        var metaData = ThriftColumnMetaData()
        metaData.type = column.valueType.physicalType
        metaData.pathInSchema = column.isList ? [column.name, "list", "element"] : [column.name]
        metaData.codec = compressor.codec
        var position = offset
        var uncompressedTotal = 0
        var scratch = PageScratch()

        let dictionary = options.dictionaryEnabled ? source.dictionaryEncode(byteLimit: options.dictionaryPageByteLimit) : nil
        if let dictionary {
            metaData.dictionaryPageOffset = Int64(position)
            try dictionary.plainEntries.withUnsafeBytes { raw in
                try compressor.compress(raw, into: &scratch.compressed, path: path)
            }
            var header = ThriftPageHeader(
                type: .dictionaryPage, uncompressedPageSize: try pageSize(dictionary.plainEntries.count),
                compressedPageSize: try pageSize(scratch.compressed.count))
            header.dictionaryPage = .init(numValues: Int32(dictionary.count), encoding: .plain)
            var writer = ThriftCompactWriter()
            header.encode(into: &writer)
            try writer.bytes.withUnsafeBytes(sink)
            try scratch.compressed.withUnsafeBytes(sink)
            position += writer.bytes.count + scratch.compressed.count
            uncompressedTotal += writer.bytes.count + dictionary.plainEntries.count
        }

        metaData.dataPageOffset = Int64(position)
        var levelTotal = 0
        var nullTotal = 0
        for page in planPages(data, source: source) {
            let written = try encodePage(
                page, data: data, source: source, dictionary: dictionary, compressor: compressor,
                scratch: &scratch, sink: sink)
            position += written.compressed
            uncompressedTotal += written.uncompressed
            levelTotal += page.levelCount
            nullTotal += page.levelCount - page.values.count
        }

        var encodings: [ParquetEncoding] = [.plain]
        if maxDefinition > 0 || maxRepetition > 0 { encodings.append(.rle) }
        if dictionary != nil { encodings.append(.rleDictionary) }
        metaData.encodings = encodings
        metaData.numValues = Int64(levelTotal)
        metaData.totalCompressedSize = Int64(position - offset)
        metaData.totalUncompressedSize = Int64(uncompressedTotal)
        if options.statisticsEnabled {
            let bounds = source.bounds()
            metaData.statistics = ThriftStatistics(nullCount: Int64(nullTotal), minValue: bounds?.min, maxValue: bounds?.max)
        }
        return metaData
    }

    private func pageSize(_ count: Int) throws -> Int32 {
        guard let size = Int32(exactly: count) else {
            throw FormatError(.invalidArgument, path: path, "column '\(column.name)': a page of \(count) bytes is over Parquet's 2 GiB limit; lower pageByteSize")
        }
        return size
    }

    /// Appends the page's repetition and definition levels (each a separate RLE stream).
    private func levels(_ page: PagePlan, data: ParquetColumnData) -> (repetition: [UInt8], definition: [UInt8]) {
        var repetition = RLEHybridEncoder(bitWidth: RLEHybridEncoder.bitWidth(forMaximum: UInt64(maxRepetition)))
        var definition = RLEHybridEncoder(bitWidth: RLEHybridEncoder.bitWidth(forMaximum: UInt64(maxDefinition)))
        let maxDefinition = UInt32(maxDefinition)
        if let offsets = data.listOffsets {
            let emptyLevel = maxDefinition - 1
            for row in page.rows {
                let length = offsets[row + 1] - offsets[row]
                repetition.appendRun(0, count: 1)
                if data.isNull(row) {
                    definition.appendRun(0, count: 1)
                } else if length == 0 {
                    definition.appendRun(emptyLevel, count: 1)
                } else {
                    repetition.appendRun(1, count: length - 1)
                    definition.appendRun(maxDefinition, count: length)
                }
            }
            return (repetition.finish(), definition.finish())
        }
        guard maxDefinition > 0 else { return ([], []) }
        if let validity = data.validity {
            validity.withUnsafeBufferPointer { mask in
                for row in page.rows { definition.append(mask[row] ? 1 : 0) }
            }
        } else {
            definition.appendRun(1, count: page.rows.count)
        }
        return ([], definition.finish())
    }

    /// Encodes, compresses and emits one data page; returns its on-disk and uncompressed sizes.
    private func encodePage<Source: PageValueSource>(
        _ page: PagePlan, data: ParquetColumnData, source: Source, dictionary: DictionaryEncoding?,
        compressor: PageCompressor, scratch: inout PageScratch,
        sink: (UnsafeRawBufferPointer) throws -> Void
    ) throws -> (compressed: Int, uncompressed: Int) {
        let (repetition, definition) = levels(page, data: data)
        scratch.values.removeAll(keepingCapacity: true)
        if let dictionary {
            scratch.values.append(UInt8(dictionary.bitWidth))
            let encoded = dictionary.indices.withUnsafeBufferPointer { buffer in
                RLEHybridEncoder.encodeIndices(UnsafeBufferPointer(rebasing: buffer[page.values]), bitWidth: dictionary.bitWidth)
            }
            scratch.values.append(contentsOf: encoded)
        } else {
            source.appendPlain(page.values, to: &scratch.values)
        }
        let encoding: ParquetEncoding = dictionary == nil ? .plain : .rleDictionary

        var header: ThriftPageHeader
        switch options.dataPageVersion {
        case .v1:
            scratch.body.removeAll(keepingCapacity: true)
            // v1 pages prefix each level stream with its 4-byte length.
            if maxRepetition > 0 {
                withUnsafeBytes(of: UInt32(repetition.count).littleEndian) { scratch.body.append(contentsOf: $0) }
                scratch.body.append(contentsOf: repetition)
            }
            if maxDefinition > 0 {
                withUnsafeBytes(of: UInt32(definition.count).littleEndian) { scratch.body.append(contentsOf: $0) }
                scratch.body.append(contentsOf: definition)
            }
            scratch.body.append(contentsOf: scratch.values)
            try scratch.body.withUnsafeBytes { raw in
                try compressor.compress(raw, into: &scratch.compressed, path: path)
            }
            header = ThriftPageHeader(
                type: .dataPage, uncompressedPageSize: try pageSize(scratch.body.count),
                compressedPageSize: try pageSize(scratch.compressed.count))
            header.dataPage = .init(numValues: Int32(page.levelCount), encoding: encoding)
            var writer = ThriftCompactWriter()
            header.encode(into: &writer)
            try writer.bytes.withUnsafeBytes(sink)
            try scratch.compressed.withUnsafeBytes(sink)
            return (writer.bytes.count + scratch.compressed.count, writer.bytes.count + scratch.body.count)
        case .v2:
            try scratch.values.withUnsafeBytes { raw in
                try compressor.compress(raw, into: &scratch.compressed, path: path)
            }
            let levelBytes = repetition.count + definition.count
            header = ThriftPageHeader(
                type: .dataPageV2, uncompressedPageSize: try pageSize(levelBytes + scratch.values.count),
                compressedPageSize: try pageSize(levelBytes + scratch.compressed.count))
            header.dataPageV2 = .init(
                numValues: Int32(page.levelCount), numNulls: Int32(page.levelCount - page.values.count),
                numRows: Int32(page.rows.count), encoding: encoding,
                definitionLevelsByteLength: Int32(definition.count), repetitionLevelsByteLength: Int32(repetition.count),
                isCompressed: compressor.codec != .uncompressed)
            var writer = ThriftCompactWriter()
            header.encode(into: &writer)
            try writer.bytes.withUnsafeBytes(sink)
            try repetition.withUnsafeBytes(sink)
            try definition.withUnsafeBytes(sink)
            try scratch.compressed.withUnsafeBytes(sink)
            let headerAndLevels = writer.bytes.count + levelBytes
            return (headerAndLevels + scratch.compressed.count, headerAndLevels + scratch.values.count)
        }
    }
}
