import Foundation
import SluicePipelines

/// A result table set against the reference tool's TSV of it, column by column and row by row.
enum ReferenceTable {
    /// Equal (infinities included), or |a − b| ≤ 1e-7·|b| + 1e-12: p-values of 1e-11 must still
    /// agree to seven digits.
    static func close(_ a: Double, _ b: Double, absolute: Double = 1e-12) -> Bool {
        a.isNaN ? b.isNaN : a == b || abs(a - b) <= 1e-7 * abs(b) + absolute
    }

    /// What differs between `table` and the TSV at `path` (empty: nothing). Empty fields are
    /// undefined numbers.
    /// `absolute` widens the tolerance where the reference itself rounds (a float32 sum).
    static func compare(_ table: ResultTable, with path: String, absolute: Double = 1e-12) throws -> [String] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = text.split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
        var mismatches: [String] = []
        if lines[0] != table.columns.map(\.name) { mismatches.append("\(table.name): columns \(table.columns.map(\.name)) ≠ \(lines[0])") }
        if lines.count - 1 != table.rowCount { mismatches.append("\(table.name): \(table.rowCount) rows ≠ \(lines.count - 1)") }
        for (row, fields) in lines.dropFirst().prefix(table.rowCount).enumerated() {
            for (column, field) in zip(table.columns, fields) {
                let (same, ours): (Bool, String)
                switch column.values {
                case .strings(let values): (same, ours) = (values[row] == field, values[row])
                case .integers(let values): (same, ours) = (String(values[row]) == field, String(values[row]))
                case .doubles(let values): (same, ours) = (close(values[row], field.isEmpty ? .nan : Double(field)!, absolute: absolute), String(values[row]))
                }
                if !same { mismatches.append("\(table.name) row \(row + 1) \(column.name): \(ours) ≠ \(field)") }
            }
        }
        return mismatches
    }
}
