public import SluiceFormats

/// The columns of corpus tables (interim chunks and the final train/test shards), and the
/// conversion of cell metadata into them.
///
/// Fixed columns come first — `cell_id`, `input_ids` (LIST<INT32> token ids, highest-ranked
/// first), `length`, `n_counts`, `n_genes`, `pct_mito` — then the cells' metadata: strings and
/// categoricals as strings, integers as INT64, floats as DOUBLE, booleans as BOOLEAN, all nullable.
public enum CorpusColumns {
    public static let fixed: [ParquetColumn] = [
        .scalar("cell_id", .string),
        .list("input_ids", of: .int32),
        .scalar("length", .int32),
        .scalar("n_counts", .double),
        .scalar("n_genes", .int32),
        .scalar("pct_mito", .double),
    ]

    /// The Parquet column for a metadata column.
    public static func column(for schema: FrameColumn.Schema) -> ParquetColumn {
        let type: ParquetValueType =
            switch schema.kind {
            case .string, .categorical: .string
            case .integer: .int64
            case .float: .double
            case .bool: .boolean
            }
        return .scalar(schema.name, type, nullable: true)
    }

    /// The schema of a corpus table with these metadata columns (names clashing with the fixed
    /// columns are prefixed `obs_`).
    public static func schema(metadata: [FrameColumn.Schema]) -> ParquetSchema {
        ParquetSchema(fixed + metadata.map { column(for: renamed($0)) })
    }

    static func renamed(_ schema: FrameColumn.Schema) -> FrameColumn.Schema {
        var schema = schema
        if fixed.contains(where: { $0.name == schema.name }) { schema.name = "obs_" + schema.name }
        return schema
    }

    /// Rows `rows` of a metadata column as Parquet data.
    public static func data(_ column: FrameColumn, rows: [Int]) -> ParquetColumnData {
        let validity = rows.map { !column.isMissing($0) }
        let anyMissing = validity.contains(false)
        let values: ParquetValues =
            switch column.values {
            case .strings(let v): .string(ParquetStrings(rows.map { column.isMissing($0) ? "" : v[$0] }))
            case .categorical(let codes, let categories, _):
                .string(ParquetStrings(rows.map { codes[$0] < 0 ? "" : categories[Int(codes[$0])] }))
            case .integers(let v): .int64(rows.map { v[$0] })
            case .floats(let v): .double(rows.map { v[$0] })
            case .bools(let v): .boolean(rows.map { v[$0] })
            }
        return ParquetColumnData(values, validity: anyMissing ? validity : nil)
    }
}
