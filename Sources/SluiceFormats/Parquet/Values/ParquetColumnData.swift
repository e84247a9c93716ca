/// The values of one column for a run of rows, in Arrow's layout: a typed value array, list
/// offsets for list columns, and an optional validity mask.
///
/// - Scalar column: `values` holds one value per row; a null row holds a placeholder (the reader
///   writes `0`, `false` or `""`), which writers ignore.
/// - List column: `listOffsets` holds `rowCount + 1` ascending offsets into `values`; row `i` is
///   `values[listOffsets[i]..<listOffsets[i + 1]]`. A null list must be empty.
/// - `validity[i] == false` marks row `i` as null; `nil` means no row is null.
public struct ParquetColumnData: Sendable, Hashable {
    /// One value per row (scalar columns) or all list elements (list columns).
    public var values: ParquetValues
    /// `rowCount + 1` offsets into `values` for a list column; `nil` for a scalar column.
    public var listOffsets: [Int]?
    /// Which rows are present (`true`) or null (`false`); `nil` when every row is present.
    public var validity: [Bool]?

    /// A scalar column's values.
    public init(_ values: ParquetValues, validity: [Bool]? = nil) {
        self.values = values
        self.listOffsets = nil
        self.validity = validity
    }

    /// A list column's elements and offsets.
    public init(lists values: ParquetValues, offsets: [Int], validity: [Bool]? = nil) {
        self.values = values
        self.listOffsets = offsets
        self.validity = validity
    }

    /// The number of rows.
    public var rowCount: Int {
        if let listOffsets { return Swift.max(listOffsets.count - 1, 0) }
        return values.count
    }

    /// Whether row `row` is null.
    public func isNull(_ row: Int) -> Bool { validity.map { !$0[row] } ?? false }

    /// The number of null rows.
    public var nullCount: Int { validity.map { $0.count { !$0 } } ?? 0 }

    /// Rows `range` as a new value.
    public func slice(_ range: Range<Int>) -> ParquetColumnData {
        let slicedValidity = validity.map { Array($0[range]) }
        if let listOffsets {
            let start = listOffsets[range.lowerBound]
            let end = listOffsets[range.upperBound]
            return ParquetColumnData(
                lists: values.slice(start..<end),
                offsets: listOffsets[range.lowerBound...range.upperBound].map { $0 - start },
                validity: slicedValidity)
        }
        return ParquetColumnData(values.slice(range), validity: slicedValidity)
    }

    /// Checks that this data fits `column` and is internally consistent (offsets, mask lengths,
    /// empty null lists, no nulls in a required column).
    func validate(against column: ParquetColumn, path: String) throws {
        func fail(_ message: String) -> FormatError {
            FormatError(.invalidArgument, path: path, "column '\(column.name)': \(message)")
        }
        guard values.valueType == column.valueType else {
            throw fail("expected \(column.valueType.rawValue) values, got \(values.valueType.rawValue)")
        }
        if let listOffsets {
            guard column.isList else { throw fail("list offsets given for a scalar column") }
            guard let first = listOffsets.first, first == 0, listOffsets.last == values.count else {
                throw fail("list offsets must start at 0 and end at the value count \(values.count)")
            }
            var previous = 0
            for offset in listOffsets {
                guard offset >= previous else { throw fail("list offsets must not decrease (\(offset) after \(previous))") }
                previous = offset
            }
        } else if column.isList {
            throw fail("a list column needs list offsets")
        }
        if let validity {
            guard validity.count == rowCount else {
                throw fail("the validity mask has \(validity.count) entries for \(rowCount) rows")
            }
            if !column.isNullable, validity.contains(false) {
                throw fail("the column is not nullable but the batch holds nulls")
            }
            if let listOffsets {
                for row in 0..<rowCount where !validity[row] && listOffsets[row] != listOffsets[row + 1] {
                    throw fail("row \(row) is a null list but has elements")
                }
            }
        }
    }
}
