/// A dense matrix with named rows and columns (genes × samples, genes × signatures, signatures ×
/// samples), values row-major.
public struct LabeledMatrix: Sendable, Equatable {
    public var rows: [String]
    public var columns: [String]
    public var values: [Double]

    public init(rows: [String], columns: [String], values: [Double]) {
        precondition(values.count == rows.count * columns.count)
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns.count + column] }
        set { values[row * columns.count + column] = newValue }
    }

    /// The rows at `indices`, in that order.
    public func selectingRows(_ indices: [Int]) -> LabeledMatrix {
        var values: [Double] = []
        values.reserveCapacity(indices.count * columns.count)
        for index in indices { values += self.values[(index * columns.count)..<((index + 1) * columns.count)] }
        return LabeledMatrix(rows: indices.map { rows[$0] }, columns: columns, values: values)
    }

    /// The columns at `indices`, in that order.
    public func selectingColumns(_ indices: [Int]) -> LabeledMatrix {
        var values: [Double] = []
        values.reserveCapacity(rows.count * indices.count)
        for row in 0..<rows.count {
            let base = row * columns.count
            for index in indices { values.append(self.values[base + index]) }
        }
        return LabeledMatrix(rows: rows, columns: indices.map { columns[$0] }, values: values)
    }
}
