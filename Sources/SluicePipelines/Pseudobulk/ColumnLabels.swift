import SluiceFormats

/// The labels one `--by` column has shown so far, each numbered once, as cells stream past.
///
/// A label is numbered the first time a cell carries it (categories no cell uses are never
/// numbered, so a category missing from the hierarchy is an error only if a cell has it). When the
/// column is relabelled through a hierarchy, the numbered labels are the coarse ones.
struct ColumnLabels {
    /// The obs column.
    let name: String
    /// The relabelling, and the hierarchy file it came from (for messages).
    let mapping: CellTypeHierarchy.Mapping?
    let hierarchyPath: String?
    /// Label of each number.
    private(set) var labels: [String] = []
    /// Sort position of each number.
    private(set) var orders: [LabelOrder] = []
    /// Cells whose label was missing (NaN, a null, a −1 category code).
    private(set) var missingCells = 0

    private var numberOfLabel: [String: Int32] = [:]
    private let positionInHierarchy: [String: Int]

    init(name: String, mapping: CellTypeHierarchy.Mapping? = nil, hierarchyPath: String? = nil) {
        self.name = name
        self.mapping = mapping
        self.hierarchyPath = hierarchyPath
        var positions: [String: Int] = [:]
        for (index, label) in (mapping?.order ?? []).enumerated() { positions[label] = index }
        positionInHierarchy = positions
    }

    /// The labels numbered so far and the cells missing one: what a checkpoint keeps.
    struct State: Codable {
        var labels: [String]
        var orders: [LabelOrder]
        var missingCells: Int
    }

    var state: State { State(labels: labels, orders: orders, missingCells: missingCells) }

    /// Takes up the labels of a saved `state`, numbered as they were.
    mutating func restore(_ state: State) throws {
        guard state.labels.count == state.orders.count, Set(state.labels).count == state.labels.count else {
            throw AnalysisError(code: "pseudobulk.checkpoint", "the checkpoint's labels of column \(name) are inconsistent")
        }
        labels = state.labels
        orders = state.orders
        missingCells = state.missingCells
        numberOfLabel = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
    }

    private static let missing: Int32 = -1
    private static let unknown: Int32 = -3
    private static let unresolved: Int32 = -2

    /// The label number of every row of `column` (−1 where the label is missing); `cells` are the
    /// rows' positions in the file, for messages.
    mutating func numbers(_ column: FrameColumn, cells: Range<Int>) throws -> [Int32] {
        var result = [Int32](repeating: Self.missing, count: column.count)
        var unknownLabels = Set<String>()
        switch column.values {
        case .categorical(let codes, let categories, _):
            var numberOfCode = [Int32](repeating: Self.unresolved, count: categories.count)
            for (row, code) in codes.enumerated() {
                guard code >= 0, Int(code) < categories.count else {
                    missingCells += 1
                    continue
                }
                if numberOfCode[Int(code)] == Self.unresolved {
                    numberOfCode[Int(code)] = resolve(categories[Int(code)], order: .position(Int(code)), unknown: &unknownLabels)
                }
                result[row] = numberOfCode[Int(code)]
            }
        case .strings(let values):
            var numberOfText: [String: Int32] = [:]
            for (row, text) in values.enumerated() {
                if column.missing?[row] ?? false {
                    missingCells += 1
                    continue
                }
                if let number = numberOfText[text] {
                    result[row] = number
                } else {
                    let number = resolve(text, order: .text(text), unknown: &unknownLabels)
                    numberOfText[text] = number
                    result[row] = number
                }
            }
        case .integers(let values):
            for (row, value) in values.enumerated() {
                if column.missing?[row] ?? false {
                    missingCells += 1
                    continue
                }
                result[row] = resolve(String(value), order: .number(Double(value)), unknown: &unknownLabels)
            }
        case .floats(let values):
            for (row, value) in values.enumerated() {
                if value.isNaN || (column.missing?[row] ?? false) {
                    missingCells += 1
                    continue
                }
                // Python's text for a whole float ("3.0") is what pandas would show as the label.
                result[row] = resolve(String(value), order: .number(value), unknown: &unknownLabels)
            }
        case .bools(let values):
            for (row, value) in values.enumerated() {
                if column.missing?[row] ?? false {
                    missingCells += 1
                    continue
                }
                result[row] = resolve(value ? "True" : "False", order: .number(value ? 1 : 0), unknown: &unknownLabels)
            }
        }
        if !unknownLabels.isEmpty, let mapping {
            throw AnalysisError(
                code: "pseudobulk.unknown-label",
                "\(unknownLabels.count) \(name) label\(unknownLabels.count == 1 ? " is" : "s are") not in the hierarchy \(hierarchyPath ?? "") at level \(mapping.level) or finer: \(AnalysisError.sample(unknownLabels.sorted())) (cells \(cells.lowerBound)–\(cells.upperBound - 1)); add them to the hierarchy or relabel those cells"
            )
        }
        return result.map { $0 == Self.unknown ? Self.missing : $0 }
    }

    /// The number of `label` (relabelled through the hierarchy, if any), numbering it if new;
    /// `unknown` (and collects the label) when the hierarchy does not know it.
    private mutating func resolve(_ label: String, order: LabelOrder, unknown: inout Set<String>) -> Int32 {
        var label = label
        var order = order
        if let mapping {
            guard let coarse = mapping.labels[label] else {
                unknown.insert(label)
                return Self.unknown
            }
            label = coarse
            order = .position(positionInHierarchy[coarse] ?? Int.max)
        }
        if let number = numberOfLabel[label] { return number }
        let number = Int32(labels.count)
        labels.append(label)
        orders.append(order)
        numberOfLabel[label] = number
        return number
    }
}
