/// A ``FrameReader`` built from an index column and metadata columns that each read their own rows.
struct ColumnFrameReader: FrameReader {
    let rowCount: Int
    let indexName: String
    /// The row names; `nil` means rows are named `0`, `1`, … (as pandas' default index prints).
    let index: (any ColumnReader)?
    let columns: [any ColumnReader]
    /// The file, for messages.
    let path: String
    /// What this table is (e.g. `obs`), for messages.
    let what: String

    init(
        path: String, what: String, rowCount: Int, indexName: String, index: (any ColumnReader)?, columns: [any ColumnReader]
    ) throws {
        self.path = path
        self.what = what
        self.rowCount = rowCount
        self.indexName = indexName
        self.index = index
        self.columns = columns
        for column in columns + (index.map { [$0] } ?? []) where column.rowCount != rowCount {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(what) column \(column.name) has \(column.rowCount) rows but the table has \(rowCount)")
        }
    }

    var schema: [FrameColumn.Schema] { columns.map(\.schema) }

    func read(rows: Range<Int>) throws -> Frame {
        let names: [String]
        if let index {
            let column = try index.read(rows: rows)
            names = (0..<column.count).map { column.text(at: $0) ?? "" }
        } else {
            names = rows.map(String.init)
        }
        return Frame(index: names, indexName: indexName, columns: try columns.map { try $0.read(rows: rows) })
    }
}
