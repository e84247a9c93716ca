/// Checks and repairs applied to rows as they come out of a file.
extension SparseRows {
    /// Verifies every column index lies in `0..<columnCount`; the error names the row (cell).
    func validateColumns(path: String, what: String, firstRow: Int) throws {
        let limit = Int32(clamping: columnCount)
        try columns.withUnsafeBufferPointer { cols in
            guard let bad = cols.firstIndex(where: { $0 < 0 || $0 >= limit }) else { return }
            // Find the row holding the bad entry for the message.
            var row = 0
            while Int(offsets[row + 1]) <= bad { row += 1 }
            throw FormatError(
                .indexOutOfRange, path: path,
                "\(what) has column index \(cols[bad]) in row \(firstRow + row), outside the \(columnCount) columns")
        }
    }

    /// Sorts columns within each row where they are out of order, summing duplicate entries
    /// (as scipy does when it converts coordinates to CSR).
    mutating func sortColumnsWithinRows() {
        var needsWork = false
        columns.withUnsafeBufferPointer { cols in
            for r in 0..<rowCount where !needsWork {
                let lower = Int(offsets[r])
                let upper = Int(offsets[r + 1])
                if upper - lower > 1 {
                    for k in (lower + 1)..<upper where cols[k] <= cols[k - 1] {
                        needsWork = true
                        break
                    }
                }
            }
        }
        guard needsWork else { return }
        var newOffsets: [Int64] = [0]
        var newColumns: [Int32] = []
        var newValues: [Float] = []
        newOffsets.reserveCapacity(offsets.count)
        newColumns.reserveCapacity(columns.count)
        newValues.reserveCapacity(values.count)
        for r in 0..<rowCount {
            let range = Int(offsets[r])..<Int(offsets[r + 1])
            let pairs = zip(columns[range], values[range]).sorted { $0.0 < $1.0 }
            for (column, value) in pairs {
                if let last = newColumns.last, newColumns.count > Int(newOffsets[r]), last == column {
                    newValues[newValues.count - 1] += value
                } else {
                    newColumns.append(column)
                    newValues.append(value)
                }
            }
            newOffsets.append(Int64(newColumns.count))
        }
        offsets = newOffsets
        columns = newColumns
        values = newValues
    }
}
