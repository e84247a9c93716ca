/// Opens an h5ad dataframe (obs, var, raw/var) in any of AnnData's layouts as a ``FrameReader``.
///
/// - AnnData ≥ 0.7.6: a group with `encoding-type = dataframe`, `_index` naming the index dataset,
///   `column-order`, and one member per column in the encodings of the AnnData on-disk spec.
/// - AnnData 0.7.0–0.7.5: the same group without encoding attributes; categoricals are code
///   datasets whose `categories` attribute references the categories dataset.
/// - AnnData < 0.7: a compound dataset with an `index` field; categorical codes are fields whose
///   categories live in `uns/<column>_categories`.
enum H5ADFrameLoader {
    static func reader(_ member: String, in root: HDF5Group, what: String) throws -> any FrameReader {
        switch root.kind(of: member) {
        case .group: return try groupReader(try root.group(member), what: what)
        case .dataset: return try compoundReader(try root.dataset(member), root: root, what: what)
        default: throw FormatError(.missingObject, path: root.path, "has no \(what) table (/\(member))")
        }
    }

    private static func groupReader(_ group: HDF5Group, what: String) throws -> any FrameReader {
        let encoding = try group.stringAttribute("encoding-type")
        if let encoding, encoding != "dataframe" {
            throw FormatError(
                .unsupportedEncoding, path: group.path, "\(group.name) has encoding-type \(encoding), where a dataframe is expected")
        }
        let indexName = try group.stringAttribute("_index") ?? "_index"
        let index = try DatasetColumnReader(name: indexName, dataset: try group.dataset(indexName))
        let order = try group.stringArrayAttribute("column-order") ?? []
        var columns: [any ColumnReader] = []
        for name in order where name != indexName {
            columns.append(try column(name, in: group))
        }
        return try ColumnFrameReader(
            path: group.path, what: what, rowCount: index.rowCount, indexName: indexName, index: index, columns: columns)
    }

    private static func column(_ name: String, in group: HDF5Group) throws -> any ColumnReader {
        switch group.kind(of: name) {
        case .group:
            let member = try group.group(name)
            let encoding = try member.stringAttribute("encoding-type") ?? "(none)"
            switch encoding {
            case "categorical":
                let categories = try CategoricalColumnReader.categories(from: try member.dataset("categories"))
                return CategoricalColumnReader(
                    name: name, codes: .dataset(try member.dataset("codes")), categories: categories,
                    ordered: try member.boolAttribute("ordered") ?? false)
            case "nullable-integer": return try NullableColumnReader(name: name, group: member, kind: .integer)
            case "nullable-boolean": return try NullableColumnReader(name: name, group: member, kind: .bool)
            case "nullable-string-array": return try NullableColumnReader(name: name, group: member, kind: .string)
            default:
                throw FormatError(
                    .unsupportedEncoding, path: group.path,
                    "column \(name) of \(group.name) has encoding-type \(encoding), which Sluice does not read")
            }
        case .dataset:
            let dataset = try group.dataset(name)
            if let categories = try dataset.referencedDataset(attribute: "categories") {
                return CategoricalColumnReader(
                    name: name, codes: .dataset(dataset), categories: try CategoricalColumnReader.categories(from: categories),
                    // anndata 0.7 kept `ordered` on the categories dataset.
                    ordered: try dataset.boolAttribute("ordered") ?? categories.boolAttribute("ordered") ?? false)
            }
            if case .compound = dataset.elementType {
                throw FormatError(
                    .unsupportedEncoding, path: group.path,
                    "column \(name) of \(group.name) is a compound (record) dataset, which is not an AnnData column encoding")
            }
            return try DatasetColumnReader(name: name, dataset: dataset)
        default:
            throw FormatError(.missingObject, path: group.path, "\(group.name) lists column \(name) but has no such member")
        }
    }

    private static func compoundReader(_ table: HDF5Dataset, root: HDF5Group, what: String) throws -> any FrameReader {
        let fields = table.fieldNames
        guard !fields.isEmpty, table.shape.count == 1 else {
            throw FormatError(
                .unsupportedEncoding, path: table.path,
                "\(table.name) is a \(table.elementType) dataset of shape \(table.shape), not a dataframe")
        }
        let indexField = fields.contains("index") ? "index" : fields[0]
        let index = try CompoundFieldColumnReader(field: indexField, dataset: table)
        var columns: [any ColumnReader] = []
        for field in fields where field != indexField {
            let categoriesName = "uns/\(field)_categories"
            if root.kind(of: categoriesName) == .dataset {
                columns.append(
                    CategoricalColumnReader(
                        name: field, codes: .compoundField(table, field: field),
                        categories: try CategoricalColumnReader.categories(from: try root.dataset(categoriesName)), ordered: false))
            } else {
                columns.append(try CompoundFieldColumnReader(field: field, dataset: table))
            }
        }
        return try ColumnFrameReader(
            path: table.path, what: what, rowCount: table.shape[0], indexName: indexField, index: index, columns: columns)
    }
}
