/// A top-level column of a file as the reader sees it: its public description, which leaf
/// column chunk holds it, and the definition levels that separate nulls, empty lists and elements.
struct ParquetLeafColumn: Sendable {
    var column: ParquetColumn
    /// The index of the column chunk in each row group.
    var leafIndex: Int
    var physicalType: ParquetPhysicalType
    var maxRepetition: Int
    var maxDefinition: Int
    /// Lists: the definition level of an empty list (lower levels are null lists).
    var listDefinition: Int
    /// Lists: the lowest definition level at which an element slot exists (levels below
    /// `maxDefinition` but at least this are null elements, which Sluice does not read).
    var elementDefinition: Int

    /// The columns of `schema` (a depth-first flattened tree, root first) that Sluice can read,
    /// and the reason for each one it cannot.
    static func resolve(
        _ schema: [ThriftSchemaElement], path: String
    ) throws -> (columns: [ParquetLeafColumn], unsupported: [String: String], leafCount: Int) {
        func corrupt(_ message: String) -> FormatError {
            FormatError(.corruptData, path: path, "the Parquet schema is malformed: \(message)")
        }
        guard let root = schema.first else { throw corrupt("it has no root element") }
        let childCount = Int(root.numChildren ?? 0)
        guard childCount >= 0, childCount < schema.count else {
            throw corrupt("the root claims \(childCount) children but only \(schema.count - 1) elements follow")
        }
        // Subtree sizes first, so that every numChildren is checked before it is trusted.
        var position = 1
        var leafCount = 0
        func subtree(depth: Int) throws -> (elements: Range<Int>, leaves: Int) {
            guard depth < 32 else { throw corrupt("groups are nested more than 32 deep") }
            guard position < schema.count else { throw corrupt("a group claims more children than there are elements") }
            let start = position
            let element = schema[position]
            position += 1
            if element.type != nil { return (start..<position, 1) }
            let children = Int(element.numChildren ?? 0)
            guard children >= 0, children <= schema.count - position else {
                throw corrupt("group '\(element.name)' claims \(children) children")
            }
            var leaves = 0
            for _ in 0..<children { leaves += try subtree(depth: depth + 1).leaves }
            return (start..<position, leaves)
        }
        var columns: [ParquetLeafColumn] = []
        var unsupported: [String: String] = [:]
        for _ in 0..<childCount {
            let (range, leaves) = try subtree(depth: 1)
            let elements = Array(schema[range])
            switch describe(elements, leafIndex: leafCount) {
            case .success(let column): columns.append(column)
            case .failure(let reason): unsupported[elements[0].name] = reason.description
            }
            leafCount += leaves
        }
        guard position == schema.count else { throw corrupt("\(schema.count - position) elements follow the last column") }
        return (columns, unsupported, leafCount)
    }

    private struct Reason: Error, CustomStringConvertible { let description: String }

    private static func valueType(_ element: ThriftSchemaElement) -> Result<ParquetValueType, Reason> {
        switch element.type {
        case .boolean: .success(.boolean)
        case .int32: .success(.int32)
        case .int64: .success(.int64)
        case .float: .success(.float)
        case .double: .success(.double)
        case .byteArray: .success(.string)
        case let other: .failure(Reason(description: "values of type \(other.map(\.description) ?? "group") are not supported"))
        }
    }

    /// Maps one top-level field (its subtree, depth first) to a column, if it is a shape Sluice reads:
    /// a primitive, a repeated primitive (legacy list), or a LIST group in the two- or three-level layout.
    private static func describe(_ elements: [ThriftSchemaElement], leafIndex: Int) -> Result<ParquetLeafColumn, Reason> {
        let top = elements[0]
        let optional = top.repetition == ThriftSchemaElement.optional
        if top.type != nil {
            return valueType(top).map { type in
                if top.repetition == ThriftSchemaElement.repeated {
                    return ParquetLeafColumn(
                        column: .list(top.name, of: type), leafIndex: leafIndex, physicalType: top.type!,
                        maxRepetition: 1, maxDefinition: 1, listDefinition: 0, elementDefinition: 1)
                }
                return ParquetLeafColumn(
                    column: .scalar(top.name, type, nullable: optional), leafIndex: leafIndex, physicalType: top.type!,
                    maxRepetition: 0, maxDefinition: optional ? 1 : 0, listDefinition: 0, elementDefinition: 0)
            }
        }
        let isList = top.convertedType == ThriftSchemaElement.convertedList || top.logicalType == ThriftSchemaElement.logicalList
        guard isList, top.numChildren == 1, elements.count >= 2, elements[1].repetition == ThriftSchemaElement.repeated else {
            return .failure(Reason(description: "nested groups (structs, maps) are not supported"))
        }
        let repeatedNode = elements[1]
        let leaf: ThriftSchemaElement
        if repeatedNode.type != nil {
            leaf = repeatedNode  // two-level list: the repeated field is the element
        } else if repeatedNode.numChildren == 1, elements.count == 3, elements[2].type != nil {
            leaf = elements[2]
        } else {
            return .failure(Reason(description: "lists of groups or nested lists are not supported"))
        }
        let listDefinition = optional ? 1 : 0
        let elementDefinition = listDefinition + 1
        let elementOptional = repeatedNode.type == nil && leaf.repetition == ThriftSchemaElement.optional
        return valueType(leaf).map { type in
            ParquetLeafColumn(
                column: .list(top.name, of: type, nullable: optional), leafIndex: leafIndex, physicalType: leaf.type!,
                maxRepetition: 1, maxDefinition: elementDefinition + (elementOptional ? 1 : 0),
                listDefinition: listDefinition, elementDefinition: elementDefinition)
        }
    }
}
