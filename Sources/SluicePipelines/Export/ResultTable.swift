/// A study's result as a named table of typed columns — what ``ExportFormat`` writes as TSV,
/// CSV, Parquet or one record per row in JSON.
public struct ResultTable: Sendable {
    public enum Values: Sendable, Equatable {
        case strings([String])
        case integers([Int])
        /// NaN: undefined (written empty in TSV/CSV, `null` in JSON, null in Parquet).
        case doubles([Double])

        var count: Int {
            switch self {
            case .strings(let values): values.count
            case .integers(let values): values.count
            case .doubles(let values): values.count
            }
        }
    }

    public struct Column: Sendable {
        public var name: String
        public var values: Values

        public init(_ name: String, _ values: Values) {
            self.name = name
            self.values = values
        }
    }

    public var name: String
    public var columns: [Column]

    public var rowCount: Int { columns.first?.values.count ?? 0 }

    public init(name: String, columns: [Column]) {
        precondition(Set(columns.map(\.values.count)).count <= 1, "every column of a table has one value per row")
        self.name = name
        self.columns = columns
    }

    /// A table of `rows`, each column computed from a row.
    public init<Row>(name: String, rows: [Row], columns: [(String, ColumnOf<Row>)]) {
        self.init(
            name: name,
            columns: columns.map { title, column in
                switch column {
                case .string(let value): Column(title, .strings(rows.map(value)))
                case .integer(let value): Column(title, .integers(rows.map(value)))
                case .double(let value): Column(title, .doubles(rows.map(value)))
                }
            })
    }

    /// A table of `rows` that starts with one text column per name of `labelColumns` (the
    /// strata or groups a study ran within), each row's values of them from `labels`.
    public init<Row>(name: String, rows: [Row], labelColumns: [String], labels: (Row) -> [String], columns: [(String, ColumnOf<Row>)]) {
        let leading = labelColumns.indices.map { index in Column(labelColumns[index], .strings(rows.map { labels($0)[index] })) }
        self.init(name: name, columns: leading + ResultTable(name: name, rows: rows, columns: columns).columns)
    }

    /// How one column's value comes from a row.
    public enum ColumnOf<Row> {
        case string((Row) -> String)
        case integer((Row) -> Int)
        case double((Row) -> Double)
    }
}
