/// One node of the flattened schema tree (the `SchemaElement` struct of parquet.thrift).
///
/// The tree is stored depth first; a group says how many children follow it.
struct ThriftSchemaElement: Sendable, Hashable {
    /// `FieldRepetitionType` values.
    static let required: Int32 = 0, optional: Int32 = 1, repeated: Int32 = 2
    /// `ConvertedType` values Sluice writes.
    static let convertedUTF8: Int32 = 0, convertedList: Int32 = 3
    /// `LogicalType` union members Sluice writes (field ids of the union).
    static let logicalString: Int16 = 1, logicalList: Int16 = 3

    var type: ParquetPhysicalType?
    var typeLength: Int32?
    var repetition: Int32?
    var name: String = ""
    var numChildren: Int32?
    var convertedType: Int32?
    /// The field id of the `LogicalType` union member that is set, if any.
    var logicalType: Int16?

    init(
        name: String, type: ParquetPhysicalType? = nil, repetition: Int32? = nil, numChildren: Int32? = nil,
        convertedType: Int32? = nil, logicalType: Int16? = nil
    ) {
        self.name = name
        self.type = type
        self.repetition = repetition
        self.numChildren = numChildren
        self.convertedType = convertedType
        self.logicalType = logicalType
    }

    func encode(into writer: inout ThriftCompactWriter) {
        if let type { writer.writeI32(1, type.rawValue) }
        if let typeLength { writer.writeI32(2, typeLength) }
        if let repetition { writer.writeI32(3, repetition) }
        writer.writeString(4, name)
        if let numChildren { writer.writeI32(5, numChildren) }
        if let convertedType { writer.writeI32(6, convertedType) }
        if let logicalType {
            writer.beginStruct(10)
            writer.beginStruct(logicalType)
            writer.endStruct()
            writer.endStruct()
        }
        writer.endStruct()
    }

    init(from reader: inout ThriftCompactReader) throws {
        try reader.readStruct { reader, id, type in
            switch (id, type) {
            case (1, .i32):
                let raw = try reader.readI32()
                guard let physical = ParquetPhysicalType(rawValue: raw) else {
                    throw ThriftCompactReader.Failure(description: "a column has the unknown physical type \(raw)")
                }
                self.type = physical
            case (2, .i32): typeLength = try reader.readI32()
            case (3, .i32): repetition = try reader.readI32()
            case (4, .binary): name = try reader.readString()
            case (5, .i32): numChildren = try reader.readI32()
            case (6, .i32): convertedType = try reader.readI32()
            case (10, .struct):
                try reader.readStruct { reader, member, memberType in
                    logicalType = member
                    try reader.skip(memberType)
                }
            default: try reader.skip(type)
            }
        }
    }
}
