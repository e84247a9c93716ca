/// One top-level column of a Parquet file: a name, a value type, and whether it is a list and
/// whether it may hold nulls.
///
/// List columns use the standard three-level layout
/// (`<optional|required> group name (LIST) { repeated group list { required <type> element; } }`),
/// which pyarrow, polars and Spark read as `list<element: type not null>`. Elements themselves are
/// never null; a whole list may be null when the column is nullable.
public struct ParquetColumn: Sendable, Hashable, Codable {
    /// The column name.
    public var name: String
    /// The type of each value (of each element, for a list column).
    public var valueType: ParquetValueType
    /// Whether each row holds a list of `valueType` values rather than one value.
    public var isList: Bool
    /// Whether a row may be null (a null value, or a null list).
    public var isNullable: Bool

    /// A column named `name` holding `valueType` values (lists of them when `isList`).
    public init(_ name: String, _ valueType: ParquetValueType, isList: Bool = false, isNullable: Bool = false) {
        self.name = name
        self.valueType = valueType
        self.isList = isList
        self.isNullable = isNullable
    }

    /// A scalar column.
    public static func scalar(_ name: String, _ valueType: ParquetValueType, nullable: Bool = false) -> ParquetColumn {
        ParquetColumn(name, valueType, isList: false, isNullable: nullable)
    }

    /// A `LIST<valueType>` column.
    public static func list(_ name: String, of valueType: ParquetValueType, nullable: Bool = false) -> ParquetColumn {
        ParquetColumn(name, valueType, isList: true, isNullable: nullable)
    }

    /// The type as users write it: `int32`, `list<string>`, with `?` when nullable.
    public var typeDescription: String {
        (isList ? "list<\(valueType.rawValue)>" : valueType.rawValue) + (isNullable ? "?" : "")
    }
}
