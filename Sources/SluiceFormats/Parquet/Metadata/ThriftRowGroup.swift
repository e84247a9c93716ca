/// One row group of the footer (the `RowGroup` struct of parquet.thrift).
struct ThriftRowGroup: Sendable, Hashable {
    var columns: [ThriftColumnChunk] = []
    var totalByteSize: Int64 = 0
    var numRows: Int64 = 0
    var fileOffset: Int64?
    var totalCompressedSize: Int64?
    var ordinal: Int16?

    init() {}

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeListHeader(1, elementType: .struct, count: columns.count)
        for column in columns {
            writer.beginStructElement()
            column.encode(into: &writer)
        }
        writer.writeI64(2, totalByteSize)
        writer.writeI64(3, numRows)
        if let fileOffset { writer.writeI64(5, fileOffset) }
        if let totalCompressedSize { writer.writeI64(6, totalCompressedSize) }
        if let ordinal {
            writer.writeFieldHeader(7, .i16)
            writer.writeZigZag(Int64(ordinal))
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .list):
                let (elementType, count) = try reader.readListHeader()
                for _ in 0..<count {
                    guard elementType == .struct else { try reader.skip(elementType); continue }
                    columns.append(try ThriftColumnChunk(from: &reader))
                }
            case (2, .i64): totalByteSize = try reader.readI64()
            case (3, .i64): numRows = try reader.readI64()
            case (5, .i64): fileOffset = try reader.readI64()
            case (6, .i64): totalCompressedSize = try reader.readI64()
            case (7, .i16): ordinal = Int16(truncatingIfNeeded: try reader.readZigZag())
            default: try reader.skip(type)
            }
        }
    }
}
