/// One key-value metadata entry (the `KeyValue` struct of parquet.thrift).
struct ThriftKeyValue: Sendable, Hashable {
    var key: String
    var value: String?

    init(key: String, value: String?) {
        self.key = key
        self.value = value
    }

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeString(1, key)
        if let value { writer.writeString(2, value) }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        var key = ""
        var value: String?
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .binary): key = try reader.readString()
            case (2, .binary): value = try reader.readString()
            default: try reader.skip(type)
            }
        }
        self.key = key
        self.value = value
    }
}
