/// The columns of a Parquet file, in order.
public struct ParquetSchema: Sendable, Hashable, Codable {
    /// The top-level columns.
    public var columns: [ParquetColumn]

    /// A schema of `columns`; names should be unique (readers look columns up by name).
    public init(_ columns: [ParquetColumn]) {
        self.columns = columns
    }

    /// The index of the column called `name`, if any.
    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    /// The flattened Parquet schema tree (depth first, root first) that describes these columns.
    var thriftElements: [ThriftSchemaElement] {
        var elements = [ThriftSchemaElement(name: "schema", numChildren: Int32(columns.count))]
        for column in columns {
            let repetition = column.isNullable ? ThriftSchemaElement.optional : ThriftSchemaElement.required
            let isString = column.valueType == .string
            let leafConverted = isString ? ThriftSchemaElement.convertedUTF8 : nil
            let leafLogical = isString ? ThriftSchemaElement.logicalString : nil
            if column.isList {
                elements.append(
                    ThriftSchemaElement(
                        name: column.name, repetition: repetition, numChildren: 1,
                        convertedType: ThriftSchemaElement.convertedList, logicalType: ThriftSchemaElement.logicalList))
                elements.append(ThriftSchemaElement(name: "list", repetition: ThriftSchemaElement.repeated, numChildren: 1))
                elements.append(
                    ThriftSchemaElement(
                        name: "element", type: column.valueType.physicalType, repetition: ThriftSchemaElement.required,
                        convertedType: leafConverted, logicalType: leafLogical))
            } else {
                elements.append(
                    ThriftSchemaElement(
                        name: column.name, type: column.valueType.physicalType, repetition: repetition,
                        convertedType: leafConverted, logicalType: leafLogical))
            }
        }
        return elements
    }
}
