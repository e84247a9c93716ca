/// The file footer (the `FileMetaData` struct of parquet.thrift).
struct ThriftFileMetaData: Sendable, Hashable {
    var version: Int32 = 0
    var schema: [ThriftSchemaElement] = []
    var numRows: Int64 = 0
    var rowGroups: [ThriftRowGroup] = []
    var keyValueMetadata: [ThriftKeyValue]?
    var createdBy: String?
    /// Whether to write a `TypeDefinedOrder` per leaf column, which tells readers that the
    /// `min_value` / `max_value` statistics follow each type's natural order.
    var writesColumnOrders = false

    init() {}

    func encode(into writer: inout ThriftCompactWriter) {
        writer.writeI32(1, version)
        writer.writeListHeader(2, elementType: .struct, count: schema.count)
        for element in schema {
            writer.beginStructElement()
            element.encode(into: &writer)
        }
        writer.writeI64(3, numRows)
        writer.writeListHeader(4, elementType: .struct, count: rowGroups.count)
        for rowGroup in rowGroups {
            writer.beginStructElement()
            rowGroup.encode(into: &writer)
        }
        if let keyValueMetadata {
            writer.writeListHeader(5, elementType: .struct, count: keyValueMetadata.count)
            for entry in keyValueMetadata {
                writer.beginStructElement()
                entry.encode(into: &writer)
            }
        }
        if let createdBy { writer.writeString(6, createdBy) }
        if writesColumnOrders {
            let leafCount = schema.filter { $0.type != nil }.count
            writer.writeListHeader(7, elementType: .struct, count: leafCount)
            for _ in 0..<leafCount {
                writer.beginStructElement()
                writer.beginStruct(1)  // ColumnOrder.TYPE_ORDER: an empty TypeDefinedOrder
                writer.endStruct()
                writer.endStruct()
            }
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .i32): version = try reader.readI32()
            case (2, .list):
                let (elementType, count) = try reader.readListHeader()
                for _ in 0..<count {
                    guard elementType == .struct else { try reader.skip(elementType); continue }
                    schema.append(try ThriftSchemaElement(from: &reader))
                }
            case (3, .i64): numRows = try reader.readI64()
            case (4, .list):
                let (elementType, count) = try reader.readListHeader()
                for _ in 0..<count {
                    guard elementType == .struct else { try reader.skip(elementType); continue }
                    rowGroups.append(try ThriftRowGroup(from: &reader))
                }
            case (5, .list):
                let (elementType, count) = try reader.readListHeader()
                var entries: [ThriftKeyValue] = []
                for _ in 0..<count {
                    guard elementType == .struct else { try reader.skip(elementType); continue }
                    entries.append(try ThriftKeyValue(from: &reader))
                }
                keyValueMetadata = entries
            case (6, .binary): createdBy = try reader.readString()
            default: try reader.skip(type)
            }
        }
    }
}
