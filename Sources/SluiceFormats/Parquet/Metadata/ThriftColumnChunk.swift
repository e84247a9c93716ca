/// One column of one row group (the `ColumnChunk` struct of parquet.thrift).
struct ThriftColumnChunk: Sendable, Hashable {
    var filePath: String?
    var fileOffset: Int64 = 0
    var metaData: ThriftColumnMetaData?

    init(fileOffset: Int64, metaData: ThriftColumnMetaData) {
        self.fileOffset = fileOffset
        self.metaData = metaData
    }

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeI64(2, fileOffset)
        if let metaData {
            writer.beginStruct(3)
            metaData.encode(into: &writer)
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .binary): filePath = try reader.readString()
            case (2, .i64): fileOffset = try reader.readI64()
            case (3, .struct): metaData = try ThriftColumnMetaData(from: &reader)
            default: try reader.skip(type)
            }
        }
    }
}
