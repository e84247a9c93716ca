/// Decodes one column chunk (all its pages) into `ParquetColumnData`, trusting nothing in it.
///
/// Every size, count and offset in a page header is checked against the bytes actually present
/// before it is used, so a corrupt or truncated chunk ends in a `FormatError` that names the row
/// group and column, never in a crash, a hang or a huge allocation.
struct ColumnChunkReader {
    let leaf: ParquetLeafColumn
    let path: String
    let rowGroup: Int
    let decompressor: PageDecompressor
    /// No page of a sane file has more level entries than this (about 268 million).
    static let maximumPageValues = 1 << 28

    private func fail(_ code: FormatError.Code, _ message: String) -> FormatError {
        FormatError(code, path: path, "row group \(rowGroup), column '\(leaf.column.name)': \(message)")
    }

    private func fail(_ message: String) -> FormatError { fail(.corruptData, message) }

    /// What has been decoded so far.
    private struct State {
        var values: ValueAccumulator
        var dictionary: ParquetValues?
        var validity: [Bool] = []
        var rowStarts: [Int] = []
        var elementCount = 0
        var rows = 0
        var levels = 0
        var repetition: [UInt8] = []
        var definition: [UInt8] = []
        var indices: [UInt32] = []
    }

    /// Decodes `chunk` (the chunk's bytes from the file), which must hold `expectedRows` rows.
    func read(_ chunk: [UInt8], metaData: ThriftColumnMetaData, expectedRows: Int) throws -> ParquetColumnData {
        var state = State(values: ValueAccumulator(type: leaf.column.valueType))
        try chunk.withUnsafeBytes { bytes in
            var position = 0
            while position < bytes.count && Int64(state.levels) < metaData.numValues {
                var reader = ThriftCompactReader(bytes, position: position)
                let header: ThriftPageHeader
                do {
                    header = try ThriftPageHeader(from: &reader)
                } catch {
                    throw fail("a page header at chunk offset \(position) does not decode (\(error))")
                }
                position = reader.position
                let size = Int(header.compressedPageSize)
                guard size >= 0, size <= bytes.count - position else {
                    throw fail("a page of \(size) bytes runs past the end of the column chunk (truncated file?)")
                }
                let page = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + size)])
                position += size
                try readPage(header, page: page, codec: metaData.codec, state: &state)
            }
        }
        guard state.rows == expectedRows else {
            throw fail("the pages hold \(state.rows) rows but the row group has \(expectedRows) (truncated or corrupt chunk)")
        }
        let validity = state.validity.contains(false) ? state.validity : nil
        if leaf.column.isList {
            state.rowStarts.append(state.elementCount)
            return ParquetColumnData(lists: state.values.finished, offsets: state.rowStarts, validity: validity)
        }
        return ParquetColumnData(state.values.values(spreadOver: validity), validity: validity)
    }

    private func readPage(_ header: ThriftPageHeader, page: UnsafeRawBufferPointer, codec: ParquetCompression, state: inout State) throws {
        let uncompressedSize = Int(header.uncompressedPageSize)
        switch ParquetPageType(rawValue: header.type) {
        case .dictionaryPage:
            guard let dictionaryHeader = header.dictionaryPage else { throw fail("a dictionary page has no dictionary header") }
            guard dictionaryHeader.encoding == .plain || dictionaryHeader.encoding == .plainDictionary else {
                throw fail(.unsupportedEncoding, "the dictionary page uses \(dictionaryHeader.encoding) encoding")
            }
            let body = try decompressor.decompress(page, codec: codec, uncompressedSize: uncompressedSize, path: path)
            let count = Int(dictionaryHeader.numValues)
            guard count >= 0 else { throw fail("the dictionary has a negative size") }
            var entries = ValueAccumulator(type: leaf.column.valueType)
            try body.withUnsafeBytes { raw in try decodePlain(raw, count: count, into: &entries) }
            state.dictionary = entries.finished
        case .dataPage:
            guard let dataHeader = header.dataPage else { throw fail("a data page has no data page header") }
            let body = try decompressor.decompress(page, codec: codec, uncompressedSize: uncompressedSize, path: path)
            try body.withUnsafeBytes { raw in
                var offset = 0
                func levelStream(_ maximum: Int, _ encoding: ParquetEncoding) throws -> UnsafeRawBufferPointer {
                    guard maximum > 0 else { return UnsafeRawBufferPointer(rebasing: raw[0..<0]) }
                    guard encoding == .rle else { throw fail(.unsupportedEncoding, "levels use \(encoding) encoding (only RLE is read)") }
                    guard raw.count - offset >= 4 else { throw fail("a data page ends inside its level lengths") }
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                    guard length <= raw.count - offset - 4 else { throw fail("a level stream of \(length) bytes runs past its page") }
                    offset += 4 + length
                    return UnsafeRawBufferPointer(rebasing: raw[(offset - length)..<offset])
                }
                let repetition = try levelStream(leaf.maxRepetition, dataHeader.repetitionLevelEncoding)
                let definition = try levelStream(leaf.maxDefinition, dataHeader.definitionLevelEncoding)
                try decodeDataPage(
                    count: Int(dataHeader.numValues), repetition: repetition, definition: definition,
                    values: UnsafeRawBufferPointer(rebasing: raw[offset...]), encoding: dataHeader.encoding, state: &state)
            }
        case .dataPageV2:
            guard let v2 = header.dataPageV2 else { throw fail("a v2 data page has no v2 header") }
            let repetitionLength = Int(v2.repetitionLevelsByteLength)
            let definitionLength = Int(v2.definitionLevelsByteLength)
            guard repetitionLength >= 0, definitionLength >= 0, repetitionLength + definitionLength <= page.count,
                repetitionLength + definitionLength <= uncompressedSize
            else {
                throw fail("a v2 page's level lengths do not fit in the page")
            }
            let levelsEnd = repetitionLength + definitionLength
            let repetition = UnsafeRawBufferPointer(rebasing: page[0..<repetitionLength])
            let definition = UnsafeRawBufferPointer(rebasing: page[repetitionLength..<levelsEnd])
            let compressedValues = UnsafeRawBufferPointer(rebasing: page[levelsEnd...])
            if v2.isCompressed && codec != .uncompressed {
                let values = try decompressor.decompress(compressedValues, codec: codec, uncompressedSize: uncompressedSize - levelsEnd, path: path)
                try values.withUnsafeBytes { raw in
                    try decodeDataPage(count: Int(v2.numValues), repetition: repetition, definition: definition, values: raw, encoding: v2.encoding, state: &state)
                }
            } else {
                try decodeDataPage(count: Int(v2.numValues), repetition: repetition, definition: definition, values: compressedValues, encoding: v2.encoding, state: &state)
            }
        case .indexPage:
            return
        case nil:
            throw fail("a page has the unknown type \(header.type)")
        }
    }

    /// Decodes levels and values of one data page and appends its rows.
    private func decodeDataPage(
        count: Int, repetition: UnsafeRawBufferPointer, definition: UnsafeRawBufferPointer,
        values: UnsafeRawBufferPointer, encoding: ParquetEncoding, state: inout State
    ) throws {
        guard count >= 0, count <= Self.maximumPageValues else { throw fail("a data page claims \(count) values") }
        state.levels += count
        func decodeLevels(_ data: UnsafeRawBufferPointer, maximum: Int, into levels: inout [UInt8]) throws {
            if levels.count < count { levels = [UInt8](repeating: 0, count: count) }
            do {
                var decoder = try RLEHybridDecoder(data, bitWidth: RLEHybridEncoder.bitWidth(forMaximum: UInt64(maximum)))
                try levels.withUnsafeMutableBufferPointer { buffer in
                    try decoder.decode(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
                }
            } catch {
                throw fail("levels do not decode (\(error))")
            }
        }
        let maxDefinition = leaf.maxDefinition
        var present = count
        if leaf.maxRepetition > 0 {
            try decodeLevels(repetition, maximum: leaf.maxRepetition, into: &state.repetition)
            try decodeLevels(definition, maximum: maxDefinition, into: &state.definition)
            present = try assembleLists(count: count, state: &state)
        } else if maxDefinition > 0 {
            try decodeLevels(definition, maximum: maxDefinition, into: &state.definition)
            present = 0
            let level = UInt8(maxDefinition)
            try state.definition.withUnsafeBufferPointer { levels in
                for index in 0..<count {
                    let value = levels[index]
                    guard value <= level else { throw fail("a definition level \(value) is above the maximum \(level)") }
                    let valid = value == level
                    state.validity.append(valid)
                    if valid { present += 1 }
                }
            }
            state.rows += count
        } else {
            state.rows += count
        }
        try decodeValues(values, encoding: encoding, count: present, state: &state)
    }

    /// Turns a page of list levels into row starts and validity; returns the number of elements.
    private func assembleLists(count: Int, state: inout State) throws -> Int {
        let maxDefinition = UInt8(leaf.maxDefinition)
        let listDefinition = UInt8(leaf.listDefinition)
        let elementDefinition = UInt8(leaf.elementDefinition)
        let tracksValidity = leaf.column.isNullable
        var elements = 0
        var rows = state.rows
        var rowStarts = state.rowStarts
        var validity = state.validity
        state.rowStarts = []
        state.validity = []
        let elementBase = state.elementCount
        try state.repetition.withUnsafeBufferPointer { repetition in
            try state.definition.withUnsafeBufferPointer { definition in
                for index in 0..<count {
                    let level = definition[index]
                    guard level <= maxDefinition else { throw fail("a definition level \(level) is above the maximum \(maxDefinition)") }
                    switch repetition[index] {
                    case 0:
                        rowStarts.append(elementBase + elements)
                        rows += 1
                        if level < listDefinition {
                            validity.append(false)
                            continue
                        }
                        if tracksValidity { validity.append(true) }
                        if level == listDefinition { continue }
                    case 1:
                        guard rows > 0, level >= elementDefinition else {
                            throw fail("repetition and definition levels disagree (a list continues where none started)")
                        }
                    case let other:
                        throw fail("a repetition level \(other) is above the maximum 1")
                    }
                    guard level == maxDefinition else {
                        throw fail(.unsupportedType, "the list holds null elements, which Sluice does not read")
                    }
                    elements += 1
                }
            }
        }
        state.rowStarts = rowStarts
        state.validity = validity
        state.rows = rows
        state.elementCount += elements
        return elements
    }

    private func decodeValues(_ data: UnsafeRawBufferPointer, encoding: ParquetEncoding, count: Int, state: inout State) throws {
        guard count > 0 else { return }
        switch encoding {
        case .plain:
            try decodePlain(data, count: count, into: &state.values)
        case .rleDictionary, .plainDictionary:
            guard let dictionary = state.dictionary else { throw fail("a dictionary-encoded page comes before any dictionary page") }
            guard let bitWidth = data.first else { throw fail("a dictionary-encoded page is empty") }
            if state.indices.count < count { state.indices = [UInt32](repeating: 0, count: count) }
            do {
                var decoder = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: data[1...]), bitWidth: Int(bitWidth))
                try state.indices.withUnsafeMutableBufferPointer { buffer in
                    try decoder.decode(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]))
                }
            } catch {
                throw fail("dictionary indices do not decode (\(error))")
            }
            try gather(dictionary, indices: state.indices, count: count, into: &state.values)
        case .rle where leaf.column.valueType == .boolean:
            guard data.count >= 4 else { throw fail("an RLE boolean page is too short") }
            let length = Int(data.loadUnaligned(as: UInt32.self).littleEndian)
            guard length <= data.count - 4 else { throw fail("an RLE boolean stream runs past its page") }
            var bits = [UInt8](repeating: 0, count: count)
            do {
                var decoder = try RLEHybridDecoder(UnsafeRawBufferPointer(rebasing: data[4..<(4 + length)]), bitWidth: 1)
                try bits.withUnsafeMutableBufferPointer { try decoder.decode(into: $0) }
            } catch {
                throw fail("RLE booleans do not decode (\(error))")
            }
            state.values.booleans.append(contentsOf: bits.lazy.map { $0 != 0 })
        default:
            throw fail(.unsupportedEncoding, "values use \(encoding) encoding, which Sluice does not read (it reads PLAIN, RLE_DICTIONARY and RLE booleans)")
        }
    }

    private func decodePlain(_ data: UnsafeRawBufferPointer, count: Int, into values: inout ValueAccumulator) throws {
        func checkFixed(_ width: Int) throws {
            guard count <= data.count / width else {
                throw fail("a page holds \(data.count) value bytes, too few for \(count) values")
            }
        }
        switch values.type {
        case .boolean:
            guard count <= data.count * 8 else { throw fail("a page holds too few bytes for \(count) booleans") }
            values.booleans.reserveCapacity(values.booleans.count + count)
            for index in 0..<count { values.booleans.append(data[index >> 3] & (1 << (index & 7)) != 0) }
        case .int32:
            try checkFixed(4)
            ValueAccumulator.appendFixed(data, count: count, to: &values.int32s)
        case .int64:
            try checkFixed(8)
            ValueAccumulator.appendFixed(data, count: count, to: &values.int64s)
        case .float:
            try checkFixed(4)
            ValueAccumulator.appendFixed(data, count: count, to: &values.floats)
        case .double:
            try checkFixed(8)
            ValueAccumulator.appendFixed(data, count: count, to: &values.doubles)
        case .string:
            try checkFixed(4)
            var offset = 0
            for _ in 0..<count {
                guard data.count - offset >= 4 else { throw fail("a page ends inside a string length") }
                let length = Int(data.loadUnaligned(fromByteOffset: offset, as: UInt32.self).littleEndian)
                offset += 4
                guard length <= data.count - offset else { throw fail("a string of \(length) bytes runs past its page") }
                values.strings.append(bytes: UnsafeRawBufferPointer(rebasing: data[offset..<(offset + length)]))
                offset += length
            }
        }
    }

    private func gather(_ dictionary: ParquetValues, indices: [UInt32], count: Int, into values: inout ValueAccumulator) throws {
        func gatherFixed<T>(_ entries: [T], _ output: inout [T]) throws {
            let limit = UInt32(truncatingIfNeeded: entries.count)
            try indices.withUnsafeBufferPointer { indices in
                for position in 0..<count where indices[position] >= limit {
                    throw fail("a dictionary index \(indices[position]) is past the dictionary's \(entries.count) entries")
                }
                output.append(contentsOf: indices[0..<count].lazy.map { entries[Int($0)] })
            }
        }
        switch dictionary {
        case .boolean(let entries): try gatherFixed(entries, &values.booleans)
        case .int32(let entries): try gatherFixed(entries, &values.int32s)
        case .int64(let entries): try gatherFixed(entries, &values.int64s)
        case .float(let entries): try gatherFixed(entries, &values.floats)
        case .double(let entries): try gatherFixed(entries, &values.doubles)
        case .string(let entries):
            for position in 0..<count {
                let index = Int(indices[position])
                guard index < entries.count else {
                    throw fail("a dictionary index \(index) is past the dictionary's \(entries.count) entries")
                }
                values.strings.append(bytes: entries.bytes[entries.offsets[index]..<entries.offsets[index + 1]])
            }
        }
    }
}
