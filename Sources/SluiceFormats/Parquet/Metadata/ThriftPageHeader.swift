/// The header in front of every page (the `PageHeader` struct of parquet.thrift and the
/// `DataPageHeader`, `DataPageHeaderV2` and `DictionaryPageHeader` structs it holds).
struct ThriftPageHeader: Sendable, Hashable {
    /// `DataPageHeader`: a v1 data page, whose levels are compressed together with its values.
    struct DataPage: Sendable, Hashable {
        var numValues: Int32 = 0
        var encoding: ParquetEncoding = .plain
        var definitionLevelEncoding: ParquetEncoding = .rle
        var repetitionLevelEncoding: ParquetEncoding = .rle
    }

    /// `DataPageHeaderV2`: levels stored uncompressed ahead of the (possibly compressed) values.
    struct DataPageV2: Sendable, Hashable {
        var numValues: Int32 = 0
        var numNulls: Int32 = 0
        var numRows: Int32 = 0
        var encoding: ParquetEncoding = .plain
        var definitionLevelsByteLength: Int32 = 0
        var repetitionLevelsByteLength: Int32 = 0
        var isCompressed = true
    }

    /// `DictionaryPageHeader`.
    struct DictionaryPage: Sendable, Hashable {
        var numValues: Int32 = 0
        var encoding: ParquetEncoding = .plain
    }

    var type: Int32 = 0
    var uncompressedPageSize: Int32 = 0
    var compressedPageSize: Int32 = 0
    var dataPage: DataPage?
    var dictionaryPage: DictionaryPage?
    var dataPageV2: DataPageV2?

    init(type: ParquetPageType, uncompressedPageSize: Int32, compressedPageSize: Int32) {
        self.type = type.rawValue
        self.uncompressedPageSize = uncompressedPageSize
        self.compressedPageSize = compressedPageSize
    }

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeI32(1, type)
        writer.writeI32(2, uncompressedPageSize)
        writer.writeI32(3, compressedPageSize)
        if let dataPage {
            writer.beginStruct(5)
            writer.writeI32(1, dataPage.numValues)
            writer.writeI32(2, dataPage.encoding.rawValue)
            writer.writeI32(3, dataPage.definitionLevelEncoding.rawValue)
            writer.writeI32(4, dataPage.repetitionLevelEncoding.rawValue)
            writer.endStruct()
        }
        if let dictionaryPage {
            writer.beginStruct(7)
            writer.writeI32(1, dictionaryPage.numValues)
            writer.writeI32(2, dictionaryPage.encoding.rawValue)
            writer.endStruct()
        }
        if let page = dataPageV2 {
            writer.beginStruct(8)
            writer.writeI32(1, page.numValues)
            writer.writeI32(2, page.numNulls)
            writer.writeI32(3, page.numRows)
            writer.writeI32(4, page.encoding.rawValue)
            writer.writeI32(5, page.definitionLevelsByteLength)
            writer.writeI32(6, page.repetitionLevelsByteLength)
            writer.writeBool(7, page.isCompressed)
            writer.endStruct()
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, fieldType in
            switch (id, fieldType) {
            case (1, .i32): type = try reader.readI32()
            case (2, .i32): uncompressedPageSize = try reader.readI32()
            case (3, .i32): compressedPageSize = try reader.readI32()
            case (5, .struct):
                var page = DataPage()
                try reader.readStruct { reader, id, type in
                    switch (id, type) {
                    case (1, .i32): page.numValues = try reader.readI32()
                    case (2, .i32): page.encoding = ParquetEncoding(rawValue: try reader.readI32())
                    case (3, .i32): page.definitionLevelEncoding = ParquetEncoding(rawValue: try reader.readI32())
                    case (4, .i32): page.repetitionLevelEncoding = ParquetEncoding(rawValue: try reader.readI32())
                    default: try reader.skip(type)
                    }
                }
                dataPage = page
            case (7, .struct):
                var page = DictionaryPage()
                try reader.readStruct { reader, id, type in
                    switch (id, type) {
                    case (1, .i32): page.numValues = try reader.readI32()
                    case (2, .i32): page.encoding = ParquetEncoding(rawValue: try reader.readI32())
                    default: try reader.skip(type)
                    }
                }
                dictionaryPage = page
            case (8, .struct):
                var page = DataPageV2()
                try reader.readStruct { reader, id, type in
                    switch (id, type) {
                    case (1, .i32): page.numValues = try reader.readI32()
                    case (2, .i32): page.numNulls = try reader.readI32()
                    case (3, .i32): page.numRows = try reader.readI32()
                    case (4, .i32): page.encoding = ParquetEncoding(rawValue: try reader.readI32())
                    case (5, .i32): page.definitionLevelsByteLength = try reader.readI32()
                    case (6, .i32): page.repetitionLevelsByteLength = try reader.readI32()
                    case (7, .boolTrue), (7, .boolFalse): page.isCompressed = try reader.readBool()
                    default: try reader.skip(type)
                    }
                }
                dataPageV2 = page
            default: try reader.skip(fieldType)
            }
        }
    }
}
