/// Appends rows of one dataframe column to an h5ad file, in the AnnData on-disk encodings.
///
/// Categorical columns keep one category list for the whole file: each batch's codes are
/// remapped into it, and the categories are written when the file is closed.
final class H5ADColumnWriter {
    let schema: FrameColumn.Schema
    private let values: HDF5Dataset
    private let mask: HDF5Dataset?
    private let group: HDF5Group?
    private var categoryIndex: [String: Int32] = [:]
    private var categories: [String] = []
    private var ordered = false

    init(_ schema: FrameColumn.Schema, in parent: HDF5Group, gzipLevel: Int?) throws {
        self.schema = schema
        func dataset(_ name: String, in group: HDF5Group, _ storage: HDF5StorageType) throws -> HDF5Dataset {
            try group.createDataset(name, storage: storage, shape: [0], extendable: true, chunkRows: 16_384, gzipLevel: gzipLevel)
        }
        let storage: HDF5StorageType =
            switch schema.kind {
            case .string: .utf8String
            case .integer: .int64
            case .float: .float64
            case .bool: .bool
            case .categorical: .int32
            }
        if schema.kind == .categorical {
            let group = try parent.createGroup(schema.name)
            try group.setAttribute("encoding-type", string: "categorical")
            try group.setAttribute("encoding-version", string: "0.2.0")
            values = try dataset("codes", in: group, .int32)
            mask = nil
            self.group = group
        } else if schema.nullable && schema.kind != .float {
            let group = try parent.createGroup(schema.name)
            let encoding =
                switch schema.kind {
                case .integer: "nullable-integer"
                case .bool: "nullable-boolean"
                default: "nullable-string-array"
                }
            try group.setAttribute("encoding-type", string: encoding)
            try group.setAttribute("encoding-version", string: "0.1.0")
            values = try dataset("values", in: group, storage)
            mask = try dataset("mask", in: group, .bool)
            self.group = group
        } else {
            values = try dataset(schema.name, in: parent, storage)
            try values.setAttribute("encoding-type", string: schema.kind == .string ? "string-array" : "array")
            try values.setAttribute("encoding-version", string: "0.2.0")
            mask = nil
            group = nil
        }
    }

    /// Appends the rows of `column`, which must match this writer's schema.
    func append(_ column: FrameColumn) throws {
        guard column.kind == schema.kind else {
            throw FormatError(
                .invalidArgument, path: values.path, "column \(schema.name) is \(schema.kind) but a batch gave \(column.kind) values")
        }
        switch column.values {
        case .strings(let v): try values.append(strings: v)
        case .integers(let v): try values.append(v)
        case .floats(let v):
            // AnnData has no nullable float encoding: pandas marks missing floats with NaN.
            if let missing = column.missing {
                try values.append(zip(v, missing).map { $1 ? Double.nan : $0 })
            } else {
                try values.append(v)
            }
        case .bools(let v): try values.append(bools: v)
        case .categorical(let codes, let batchCategories, let isOrdered):
            ordered = isOrdered
            let remap = batchCategories.map { label -> Int32 in
                if let code = categoryIndex[label] { return code }
                let code = Int32(categories.count)
                categories.append(label)
                categoryIndex[label] = code
                return code
            }
            try values.append(codes.map { $0 < 0 ? -1 : remap[Int($0)] })
        }
        if let mask, schema.kind != .float {
            try mask.append(bools: column.missing ?? [Bool](repeating: false, count: column.count))
        }
    }

    /// Writes what can only be known at the end (the categories of a categorical column).
    func finish() throws {
        guard schema.kind == .categorical, let group else { return }
        let dataset = try group.createDataset("categories", storage: .utf8String, shape: [0], extendable: true, chunkRows: 4096)
        try dataset.append(strings: categories)
        try dataset.setAttribute("encoding-type", string: "string-array")
        try dataset.setAttribute("encoding-version", string: "0.2.0")
        try group.setAttribute("ordered", bool: ordered)
    }
}
