/// Checks and repairs applied to rows as they come out of a file.
extension SparseRows {
    /// Verifies every column index lies in `0..<columnCount` (the error names the row, i.e. the
    /// cell) and, in the same pass, sorts rows whose columns are out of order.
    mutating func validateAndSortColumns(path: String, what: String, firstRow: Int) throws {
        let limit = Int32(clamping: columnCount)
        var badRow: Int?
        var badColumn: Int32 = 0
        var unsorted = false
        offsets.withUnsafeBufferPointer { offsets in
            columns.withUnsafeBufferPointer { cols in
                for r in 0..<(offsets.count - 1) {
                    var previous: Int32 = -1
                    for k in Int(offsets[r])..<Int(offsets[r + 1]) {
                        let c = cols[k]
                        if c < 0 || c >= limit {
                            badRow = r
                            badColumn = c
                            return
                        }
                        if c <= previous { unsorted = true }
                        previous = c
                    }
                }
            }
        }
        if let badRow {
            throw FormatError(
                .indexOutOfRange, path: path,
                "\(what) has column index \(badColumn) in row \(firstRow + badRow), outside the \(columnCount) columns")
        }
        if unsorted { sortColumnsWithinRows() }
    }

    /// Sorts columns within each row where they are out of order, summing duplicate entries
    /// (as scipy does when it converts coordinates to CSR). Rows already in order are copied as
    /// they are; one scratch buffer serves every row.
    mutating func sortColumnsWithinRows() {
        var newOffsets: [Int64] = [0]
        var newColumns: [Int32] = []
        var newValues: [Float] = []
        newOffsets.reserveCapacity(offsets.count)
        newColumns.reserveCapacity(columns.count)
        newValues.reserveCapacity(values.count)
        var pairs: [(column: Int32, value: Float)] = []
        for r in 0..<rowCount {
            let lower = Int(offsets[r])
            let upper = Int(offsets[r + 1])
            var ordered = true
            for k in lower..<upper where k > lower && columns[k] <= columns[k - 1] {
                ordered = false
                break
            }
            if ordered {
                newColumns.append(contentsOf: columns[lower..<upper])
                newValues.append(contentsOf: values[lower..<upper])
            } else {
                pairs.removeAll(keepingCapacity: true)
                for k in lower..<upper { pairs.append((columns[k], values[k])) }
                pairs.sort { $0.column < $1.column }
                let rowStart = newColumns.count
                for (column, value) in pairs {
                    if newColumns.count > rowStart, newColumns[newColumns.count - 1] == column {
                        newValues[newValues.count - 1] += value
                    } else {
                        newColumns.append(column)
                        newValues.append(value)
                    }
                }
            }
            newOffsets.append(Int64(newColumns.count))
        }
        offsets = newOffsets
        columns = newColumns
        values = newValues
    }
}
