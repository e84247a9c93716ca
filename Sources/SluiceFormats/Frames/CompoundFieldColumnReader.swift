/// One field of a compound table (pre-0.7 h5ad obs/var), read as a column.
struct CompoundFieldColumnReader: ColumnReader {
    let name: String
    let dataset: HDF5Dataset
    let kind: FrameColumn.Kind

    init(field: String, dataset: HDF5Dataset) throws {
        self.name = field
        self.dataset = dataset
        switch try dataset.fieldType(field) {
        case .string: kind = .string
        case .integer: kind = .integer
        case .float: kind = .float
        case let type where type.isBooleanEnum: kind = .bool
        case let type:
            throw FormatError(
                .unsupportedEncoding, path: dataset.path,
                "field \(field) of \(dataset.name) holds \(type) values, which Sluice cannot read as metadata")
        }
    }

    var rowCount: Int { dataset.shape.first ?? 0 }
    var schema: FrameColumn.Schema { .init(name: name, kind: kind, nullable: false) }

    func read(rows: Range<Int>) throws -> FrameColumn {
        let values: FrameColumn.Values =
            switch kind {
            case .string: .strings(try dataset.readStringField(name, range: rows))
            case .integer: .integers(try dataset.readField(name, Int64.self, range: rows))
            case .float: .floats(try dataset.readField(name, Double.self, range: rows))
            case .bool: .bools(try dataset.readBoolField(name, range: rows))
            case .categorical: preconditionFailure("categorical fields are read by CategoricalColumnReader")
            }
        return FrameColumn(name: name, values: values)
    }
}
