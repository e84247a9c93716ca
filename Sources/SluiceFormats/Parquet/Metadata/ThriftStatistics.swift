/// Column statistics (the `Statistics` struct of parquet.thrift): PLAIN-encoded bounds and counts.
struct ThriftStatistics: Sendable, Hashable {
    var max: [UInt8]?
    var min: [UInt8]?
    var nullCount: Int64?
    var distinctCount: Int64?
    var maxValue: [UInt8]?
    var minValue: [UInt8]?

    func encode(into writer: inout ThriftCompactWriter) {
        if let nullCount { writer.writeI64(3, nullCount) }
        if let distinctCount { writer.writeI64(4, distinctCount) }
        if let maxValue { writer.writeBinary(5, maxValue) }
        if let minValue { writer.writeBinary(6, minValue) }
        writer.endStruct()
    }

    init(nullCount: Int64? = nil, minValue: [UInt8]? = nil, maxValue: [UInt8]? = nil) {
        self.nullCount = nullCount
        self.minValue = minValue
        self.maxValue = maxValue
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .binary): max = try reader.readBinary()
            case (2, .binary): min = try reader.readBinary()
            case (3, .i64): nullCount = try reader.readI64()
            case (4, .i64): distinctCount = try reader.readI64()
            case (5, .binary): maxValue = try reader.readBinary()
            case (6, .binary): minValue = try reader.readBinary()
            default: try reader.skip(type)
            }
        }
    }
}
