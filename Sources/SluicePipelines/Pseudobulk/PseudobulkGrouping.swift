import SluiceFormats

/// Numbers each cell's group — the combination of its labels in the `--by` columns — as cells
/// stream past, one chunk of obs rows at a time.
///
/// Groups are numbered 0, 1, 2, … in the order their first cell appears. Label combinations are
/// built one column at a time through `(prefix, label) → prefix` dictionaries keyed by one
/// `UInt64`, so a cell costs one dictionary lookup per column and no allocation. A cell with a
/// missing label in any column gets −1 and is counted in ``droppedCells``.
struct PseudobulkGrouping {
    /// One entry per `--by` column.
    private(set) var columns: [ColumnLabels]
    /// Cells left out for a missing label.
    private(set) var droppedCells = 0
    /// For column c ≥ 1: (number of the labels of columns 0..<c, label number in c) → number of
    /// the labels of columns 0...c. The last column's numbers are the groups.
    private var combined: [[UInt64: Int32]]
    /// For column c ≥ 1: each combined number's (prefix number, label number).
    private var parts: [[(prefix: Int32, label: Int32)]]

    init(columns: [ColumnLabels]) {
        precondition(!columns.isEmpty, "at least one column")
        self.columns = columns
        combined = Array(repeating: [:], count: columns.count)
        parts = Array(repeating: [], count: columns.count)
    }

    /// Number of groups seen so far.
    var groupCount: Int { columns.count == 1 ? columns[0].labels.count : parts[columns.count - 1].count }

    /// The group of every row of `obs` (−1: a missing label); `cells` are the rows' positions in
    /// the file, for messages. New groups are numbered from ``groupCount``.
    mutating func assign(_ obs: Frame, cells: Range<Int>) throws -> [Int32] {
        var numbers: [[Int32]] = []
        for c in columns.indices {
            guard let column = obs[columns[c].name] else {
                throw AnalysisError(code: "pseudobulk.unknown-column", "cells \(cells) have no obs column \(columns[c].name)")
            }
            numbers.append(try columns[c].numbers(column, cells: cells))
        }
        var groups = [Int32](repeating: -1, count: obs.rowCount)
        for row in 0..<obs.rowCount {
            var number = numbers[0][row]
            var c = 1
            while number >= 0, c < columns.count {
                let label = numbers[c][row]
                if label < 0 {
                    number = -1
                    break
                }
                let key = UInt64(UInt32(number)) << 32 | UInt64(UInt32(label))
                if let next = combined[c][key] {
                    number = next
                } else {
                    let next = Int32(parts[c].count)
                    parts[c].append((number, label))
                    combined[c][key] = next
                    number = next
                }
                c += 1
            }
            if number < 0 { droppedCells += 1 }
            groups[row] = number
        }
        return groups
    }

    /// The columns' labels, the dropped cells and the combinations numbered so far: what a
    /// checkpoint keeps.
    struct State: Codable {
        var columns: [ColumnLabels.State]
        var droppedCells: Int
        /// Per column: each combined number's prefix and label numbers, one after the other.
        var parts: [[Int32]]
    }

    var state: State {
        State(columns: columns.map(\.state), droppedCells: droppedCells, parts: parts.map { $0.flatMap { [$0.prefix, $0.label] } })
    }

    /// Takes up a saved `state`: the same groups, numbered as they were.
    mutating func restore(_ state: State) throws {
        guard state.columns.count == columns.count, state.parts.count == columns.count, state.parts.allSatisfy({ $0.count % 2 == 0 }) else {
            throw AnalysisError(code: "pseudobulk.checkpoint", "the checkpoint groups by \(state.columns.count) columns, this run by \(columns.count)")
        }
        for c in columns.indices { try columns[c].restore(state.columns[c]) }
        droppedCells = state.droppedCells
        parts = state.parts.map { flat in stride(from: 0, to: flat.count, by: 2).map { (flat[$0], flat[$0 + 1]) } }
        combined = parts.map { column in
            Dictionary(column.enumerated().map { (UInt64(UInt32($1.prefix)) << 32 | UInt64(UInt32($1.label)), Int32($0)) }, uniquingKeysWith: min)
        }
    }

    /// Group `g`'s label in each column.
    func labels(ofGroup g: Int) -> [String] {
        numbers(ofGroup: g).enumerated().map { columns[$0.offset].labels[Int($0.element)] }
    }

    /// Group `g`'s sort key: its labels' positions, column by column.
    func order(ofGroup g: Int) -> [LabelOrder] {
        numbers(ofGroup: g).enumerated().map { columns[$0.offset].orders[Int($0.element)] }
    }

    /// Group `g`'s label number in each column.
    private func numbers(ofGroup g: Int) -> [Int32] {
        var result = [Int32](repeating: 0, count: columns.count)
        var number = Int32(g)
        for c in stride(from: columns.count - 1, through: 1, by: -1) {
            let part = parts[c][Int(number)]
            result[c] = part.label
            number = part.prefix
        }
        result[0] = number
        return result
    }
}
