public import SluiceFormats

/// Covariates from a cells file's `obs` (or any frame): every numeric column — floats,
/// integers, booleans (0/1), and categoricals whose every label is a number (ages stored as
/// categories) — as a samples × covariates matrix, missing values NaN. Text columns are left out.
public enum ObsCovariates {
    public static func table(_ frame: Frame) -> LabeledMatrix {
        var names: [String] = []
        var columns: [[Double]] = []
        for column in frame.columns {
            guard let values = numbers(column) else { continue }
            names.append(column.name)
            columns.append(values)
        }
        var matrix = LabeledMatrix(rows: frame.index, columns: names, values: [Double](repeating: .nan, count: frame.rowCount * names.count))
        for (index, values) in columns.enumerated() {
            for row in 0..<frame.rowCount { matrix[row, index] = values[row] }
        }
        return matrix
    }

    /// The obs of every cell of an h5ad file (read without its matrix).
    public static func table(h5ad path: String) throws -> LabeledMatrix {
        let reader = try H5ADReader(path: path)
        return table(try reader.readCellMetadata(cells: 0..<reader.cellCount))
    }

    private static func numbers(_ column: FrameColumn) -> [Double]? {
        var values: [Double]
        switch column.values {
        case .floats(let v): values = v
        case .integers(let v): values = v.map(Double.init)
        case .bools(let v): values = v.map { $0 ? 1 : 0 }
        case .categorical(let codes, let categories, _):
            let parsed = categories.map { Double($0) }
            guard !categories.isEmpty, parsed.allSatisfy({ $0 != nil }) else { return nil }
            values = codes.map { $0 >= 0 ? parsed[Int($0)]! : .nan }
        case .strings: return nil
        }
        if let missing = column.missing {
            for index in values.indices where missing[index] { values[index] = .nan }
        }
        return values
    }
}
