import SluiceFormats

/// The strata of a `--stratify` run: every combination of the labels of one or more cell-metadata
/// columns that some cell carries (`--stratify cell_type,disease` tests within each cell type of
/// each disease), numbered as cells stream past.
///
/// Strata are ordered column by column, each column in scanpy's category order
/// (``GroupingColumn/orderedNumbers()``), the first column varying slowest. A cell missing any of
/// the labels is in no stratum and is left out.
struct Strata {
    /// The columns, in `--stratify` order.
    private(set) var columns: [GroupingColumn]
    /// Each stratum's label numbers, one per column.
    private(set) var combinations: [[Int32]] = []
    /// Cells missing a label of some column.
    private(set) var missingCells = 0

    private var numberOfCombination: [[Int32]: Int32] = [:]

    init(columns names: [String]) {
        columns = names.map { GroupingColumn(name: $0) }
    }

    /// The columns' names, for messages ("cell_type, disease").
    var name: String { columns.map(\.name).joined(separator: ", ") }

    /// The labels of stratum `number`, one per column.
    func labels(of number: Int32) -> [String] {
        zip(columns, combinations[Int(number)]).map { column, label in column.labels[Int(label)] }
    }

    /// The stratum number of each of the batch's cells, −1 where a label is missing.
    mutating func numbers(in obs: Frame, path: String) throws -> [Int32] {
        var perColumn: [[Int32]] = []
        for index in columns.indices { perColumn.append(try columns[index].numbers(in: obs, path: path)) }
        let cells = perColumn.first?.count ?? 0
        var result = [Int32](repeating: -1, count: cells)
        var combination = [Int32](repeating: 0, count: columns.count)
        for cell in 0..<cells {
            for column in columns.indices { combination[column] = perColumn[column][cell] }
            if combination.contains(where: { $0 < 0 }) {
                missingCells += 1
                continue
            }
            if let known = numberOfCombination[combination] {
                result[cell] = known
            } else {
                let number = Int32(combinations.count)
                combinations.append(combination)
                numberOfCombination[combination] = number
                result[cell] = number
            }
        }
        return result
    }

    /// Stratum numbers in order: by the first column's order, then the second's, and so on.
    func orderedNumbers() -> [Int32] {
        let positions = columns.map { column in
            var position = [Int](repeating: 0, count: column.labels.count)
            for (index, number) in column.orderedNumbers().enumerated() { position[Int(number)] = index }
            return position
        }
        return combinations.indices.map(Int32.init).sorted { a, b in
            let (x, y) = (combinations[Int(a)], combinations[Int(b)])
            for column in columns.indices where x[column] != y[column] {
                return positions[column][Int(x[column])] < positions[column][Int(y[column])]
            }
            return false
        }
    }

    /// The columns' labels and the strata numbered so far: what a checkpoint keeps.
    struct State: Codable {
        var columns: [GroupingColumn.State]
        var combinations: [[Int32]]
        var missingCells: Int
    }

    var state: State { State(columns: columns.map(\.state), combinations: combinations, missingCells: missingCells) }

    /// Takes up a saved `state`: the same strata, numbered as they were.
    mutating func restore(_ state: State) throws {
        guard state.columns.count == columns.count,
            state.combinations.allSatisfy({ $0.count == columns.count }),
            Set(state.combinations).count == state.combinations.count
        else {
            throw AnalysisError(code: "differential.checkpoint", "the checkpoint's strata of \(name) are inconsistent")
        }
        for index in columns.indices { try columns[index].restore(state.columns[index]) }
        for combination in state.combinations {
            for (column, label) in combination.enumerated() where !(0..<Int32(columns[column].labels.count)).contains(label) {
                throw AnalysisError(code: "differential.checkpoint", "the checkpoint's strata of \(name) are inconsistent")
            }
        }
        combinations = state.combinations
        missingCells = state.missingCells
        numberOfCombination = Dictionary(uniqueKeysWithValues: combinations.enumerated().map { ($1, Int32($0)) })
    }
}
