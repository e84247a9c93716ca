import SluiceFormats

/// The labels of one cell-metadata column (`--groupby` or `--stratify`), numbered as cells
/// stream past, and ordered at the end as scanpy orders a categorical's categories.
///
/// scanpy's `rank_genes_groups` needs a categorical column and uses all of its categories, in
/// their order — including categories no cell carries. Text columns become categoricals with the
/// unique values sorted (what `sanitize_anndata` does); integer and boolean columns, which scanpy
/// rejects, are accepted here and ordered by value.
struct GroupingColumn {
    /// The column's name.
    let name: String
    /// Label of each number.
    private(set) var labels: [String] = []
    /// Cells without a label (NaN, a null, category code −1).
    private(set) var missingCells = 0
    /// Cells per label number.
    private(set) var cellCounts: [Int] = []
    /// The column's kind, from the first batch.
    private(set) var kind: FrameColumn.Kind?

    private var numberOfLabel: [String: Int32] = [:]
    /// Categories in file order (categorical columns).
    private var categoryOrder: [String] = []

    init(name: String) {
        self.name = name
    }

    /// Whether the column's full set of labels was known from its first batch (categoricals).
    var labelsKnownEarly: Bool { kind == .categorical }

    /// The label number of each of the batch's cells, −1 where the label is missing.
    mutating func numbers(in obs: Frame, path: String) throws -> [Int32] {
        guard let column = obs[name] else {
            throw AnalysisError(code: "differential.unknown-column", "\(path) has no cell-metadata column '\(name)'")
        }
        kind = kind ?? column.kind
        var result = [Int32](repeating: -1, count: column.count)
        switch column.values {
        case .categorical(let codes, let categories, _):
            let numbers = categories.map { category -> Int32 in
                if numberOfLabel[category] == nil { categoryOrder.append(category) }
                return number(of: category)
            }
            for (row, code) in codes.enumerated() {
                if code >= 0 { result[row] = numbers[Int(code)] }
            }
        case .strings(let values):
            var cache: [String: Int32] = [:]
            for (row, text) in values.enumerated() where !column.isMissing(row) {
                if let known = cache[text] {
                    result[row] = known
                } else {
                    let value = number(of: text)
                    cache[text] = value
                    result[row] = value
                }
            }
        case .integers(let values):
            for (row, value) in values.enumerated() where !column.isMissing(row) { result[row] = number(of: String(value)) }
        case .bools(let values):
            for (row, value) in values.enumerated() where !column.isMissing(row) {
                result[row] = number(of: value ? "True" : "False")
            }
        case .floats:
            throw AnalysisError(
                code: "differential.column-kind",
                "cell-metadata column '\(name)' of \(path) holds floating-point numbers, not labels; group by a categorical, text or integer column")
        }
        for value in result {
            if value < 0 { missingCells += 1 } else { cellCounts[Int(value)] += 1 }
        }
        return result
    }

    /// The labels numbered so far, their cells and the column's kind: what a checkpoint keeps.
    struct State: Codable {
        var labels: [String]
        var missingCells: Int
        var cellCounts: [Int]
        var kind: FrameColumn.Kind?
        var categoryOrder: [String]
    }

    var state: State {
        State(labels: labels, missingCells: missingCells, cellCounts: cellCounts, kind: kind, categoryOrder: categoryOrder)
    }

    /// Takes up a saved `state`: the same labels, numbered as they were.
    mutating func restore(_ state: State) throws {
        guard state.labels.count == state.cellCounts.count, Set(state.labels).count == state.labels.count else {
            throw AnalysisError(code: "differential.checkpoint", "the checkpoint's labels of column \(name) are inconsistent")
        }
        labels = state.labels
        missingCells = state.missingCells
        cellCounts = state.cellCounts
        kind = state.kind
        categoryOrder = state.categoryOrder
        numberOfLabel = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, Int32($0)) })
    }

    /// The number of `label`, if any cell or category has shown it.
    func number(ofExisting label: String) -> Int32? { numberOfLabel[label] }

    /// Label numbers in scanpy's category order.
    func orderedNumbers() -> [Int32] {
        switch kind {
        case .categorical:
            var order = categoryOrder.compactMap { numberOfLabel[$0] }
            // Text labels of later batches not among the first categories (not expected in h5ad).
            let seen = Set(order)
            order += labels.indices.map(Int32.init).filter { !seen.contains($0) }
            return order
        case .integer:
            return labels.indices.map(Int32.init).sorted { Int64(labels[Int($0)])! < Int64(labels[Int($1)])! }
        case .bool:
            return labels.indices.map(Int32.init).sorted { labels[Int($0)] == "False" && labels[Int($1)] == "True" }
        default:
            // pandas sorts text categories by code point, which is UTF-8 byte order.
            return labels.indices.map(Int32.init).sorted { labels[Int($0)].utf8.lexicographicallyPrecedes(labels[Int($1)].utf8) }
        }
    }

    private mutating func number(of label: String) -> Int32 {
        if let known = numberOfLabel[label] { return known }
        let value = Int32(labels.count)
        labels.append(label)
        cellCounts.append(0)
        numberOfLabel[label] = value
        return value
    }
}
