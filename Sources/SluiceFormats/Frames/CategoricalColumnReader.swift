import Foundation

/// A categorical column: integer codes per row into a list of categories (−1 = missing).
///
/// Covers the AnnData ≥ 0.7.6 group encoding (`codes`, `categories`, attribute `ordered`), the
/// anndata 0.7.0–0.7.5 encoding (a codes dataset whose `categories` attribute references the
/// categories dataset) and the pre-0.7 one (codes in the table, categories in
/// `uns/<column>_categories`).
struct CategoricalColumnReader: ColumnReader {
    let name: String
    let codes: CodeSource
    let categories: [String]
    let ordered: Bool

    /// Where the codes live.
    enum CodeSource {
        case dataset(HDF5Dataset)
        case compoundField(HDF5Dataset, field: String)
    }

    var rowCount: Int {
        switch codes {
        case .dataset(let d), .compoundField(let d, _): d.shape[0]
        }
    }

    var schema: FrameColumn.Schema { .init(name: name, kind: .categorical, nullable: true) }

    func read(rows: Range<Int>) throws -> FrameColumn {
        let values: [Int32]
        switch codes {
        case .dataset(let dataset): values = try dataset.read(Int32.self, range: rows)
        case .compoundField(let dataset, let field): values = try dataset.readField(field, Int32.self, range: rows)
        }
        if let bad = values.first(where: { $0 >= categories.count || $0 < -1 }) {
            let path: String
            switch codes {
            case .dataset(let d), .compoundField(let d, _): path = d.path
            }
            throw FormatError(
                .indexOutOfRange, path: path,
                "categorical column \(name) has code \(bad) but only \(categories.count) categories")
        }
        return FrameColumn(name: name, values: .categorical(codes: values, categories: categories, ordered: ordered))
    }

    /// Reads a categories dataset as strings (numeric categories are written in their shortest form).
    static func categories(from dataset: HDF5Dataset) throws -> [String] {
        switch dataset.elementType {
        case .string: return try dataset.readStrings()
        case .integer: return try dataset.readAll(Int64.self).map { String($0) }
        case .float: return try dataset.readAll(Double.self).map { Self.shortest($0) }
        case let type where type.isBooleanEnum:
            return try dataset.readBools(range: 0..<dataset.shape[0]).map { $0 ? "True" : "False" }
        default:
            throw FormatError(.unsupportedEncoding, path: dataset.path, "categories \(dataset.name) hold \(dataset.elementType) values")
        }
    }

    /// `1.0` → `"1.0"`, `0.5` → `"0.5"`: how pandas prints float categories.
    private static func shortest(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(format: "%.1f", value) : String(value)
    }
}
