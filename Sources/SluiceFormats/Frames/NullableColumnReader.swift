/// AnnData's nullable columns: a `values` dataset and a boolean `mask` (true = missing).
///
/// Encodings `nullable-integer`, `nullable-boolean` and `nullable-string-array`.
struct NullableColumnReader: ColumnReader {
    let name: String
    let values: HDF5Dataset
    let mask: HDF5Dataset
    let kind: FrameColumn.Kind

    init(name: String, group: HDF5Group, kind: FrameColumn.Kind) throws {
        self.name = name
        self.values = try group.dataset("values")
        self.mask = try group.dataset("mask")
        self.kind = kind
        guard values.shape == mask.shape else {
            throw FormatError(
                .inconsistentShape, path: group.path,
                "nullable column \(name) has \(values.shape) values but a mask of \(mask.shape)")
        }
    }

    var rowCount: Int { values.shape.first ?? 0 }
    var schema: FrameColumn.Schema { .init(name: name, kind: kind, nullable: true) }

    func read(rows: Range<Int>) throws -> FrameColumn {
        let missing = try mask.readBools(range: rows)
        let data = try DatasetColumnReader.values(of: values, kind: kind, rows: rows)
        return FrameColumn(name: name, values: data, missing: missing)
    }
}
