/// A column stored as one 1-D dataset: strings, numbers or h5py booleans.
struct DatasetColumnReader: ColumnReader {
    let name: String
    let dataset: HDF5Dataset
    let kind: FrameColumn.Kind

    init(name: String, dataset: HDF5Dataset) throws {
        self.name = name
        self.dataset = dataset
        try dataset.requireRank(1)
        switch dataset.elementType {
        case .string: kind = .string
        case .integer: kind = .integer
        case .float: kind = .float
        case let type where type.isBooleanEnum: kind = .bool
        default:
            throw FormatError(
                .unsupportedEncoding, path: dataset.path,
                "column \(name) (\(dataset.name)) holds \(dataset.elementType) values, which Sluice cannot read as metadata")
        }
    }

    var rowCount: Int { dataset.shape[0] }
    var schema: FrameColumn.Schema { .init(name: name, kind: kind, nullable: false) }

    func read(rows: Range<Int>) throws -> FrameColumn {
        FrameColumn(name: name, values: try Self.values(of: dataset, kind: kind, rows: rows))
    }

    /// Reads `rows` of `dataset` as column values of `kind`.
    static func values(of dataset: HDF5Dataset, kind: FrameColumn.Kind, rows: Range<Int>) throws -> FrameColumn.Values {
        switch kind {
        case .string: .strings(try dataset.readStrings(range: rows))
        case .integer: .integers(try dataset.read(Int64.self, range: rows))
        case .float: .floats(try dataset.read(Double.self, range: rows))
        case .bool: .bools(try dataset.readBools(range: rows))
        case .categorical: preconditionFailure("categorical columns are read by CategoricalColumnReader")
        }
    }
}
