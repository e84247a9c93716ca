/// Where a column chunk's pages are and how they are encoded (`ColumnMetaData` of parquet.thrift).
struct ThriftColumnMetaData: Sendable, Hashable {
    var type: ParquetPhysicalType = .int32
    var encodings: [ParquetEncoding] = []
    var pathInSchema: [String] = []
    var codec: ParquetCompression = .uncompressed
    var numValues: Int64 = 0
    var totalUncompressedSize: Int64 = 0
    var totalCompressedSize: Int64 = 0
    var dataPageOffset: Int64 = 0
    var indexPageOffset: Int64?
    var dictionaryPageOffset: Int64?
    var statistics: ThriftStatistics?

    init() {}

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeI32(1, type.rawValue)
        writer.writeListHeader(2, elementType: .i32, count: encodings.count)
        for encoding in encodings { writer.writeI32Element(encoding.rawValue) }
        writer.writeListHeader(3, elementType: .binary, count: pathInSchema.count)
        for part in pathInSchema { writer.writeStringElement(part) }
        writer.writeI32(4, codec.rawValue)
        writer.writeI64(5, numValues)
        writer.writeI64(6, totalUncompressedSize)
        writer.writeI64(7, totalCompressedSize)
        writer.writeI64(9, dataPageOffset)
        if let indexPageOffset { writer.writeI64(10, indexPageOffset) }
        if let dictionaryPageOffset { writer.writeI64(11, dictionaryPageOffset) }
        if let statistics {
            writer.beginStruct(12)
            statistics.encode(into: &writer)
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, fieldType in
            switch (id, fieldType) {
            case (1, .i32):
                let raw = try reader.readI32()
                guard let physical = ParquetPhysicalType(rawValue: raw) else {
                    throw ThriftCompactReader.Failure(description: "a column chunk has the unknown physical type \(raw)")
                }
                type = physical
            case (2, .list):
                let (elementType, count) = try reader.readListHeader()
                for _ in 0..<count {
                    guard elementType == .i32 else { try reader.skip(elementType); continue }
                    encodings.append(ParquetEncoding(rawValue: try reader.readI32()))
                }
            case (3, .list):
                let (elementType, count) = try reader.readListHeader()
                for _ in 0..<count {
                    guard elementType == .binary else { try reader.skip(elementType); continue }
                    pathInSchema.append(try reader.readString())
                }
            case (4, .i32): codec = ParquetCompression(rawValue: try reader.readI32())
            case (5, .i64): numValues = try reader.readI64()
            case (6, .i64): totalUncompressedSize = try reader.readI64()
            case (7, .i64): totalCompressedSize = try reader.readI64()
            case (9, .i64): dataPageOffset = try reader.readI64()
            case (10, .i64): indexPageOffset = try reader.readI64()
            case (11, .i64): dictionaryPageOffset = try reader.readI64()
            case (12, .struct): statistics = try ThriftStatistics(from: &reader)
            default: try reader.skip(fieldType)
            }
        }
    }
}
