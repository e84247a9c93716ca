import SluiceFormats

/// How one of a study's tables becomes an AnnData file (`--format h5ad`): its rows are grouped
/// by the `rows` columns (one obs row per distinct combination, in order of first appearance;
/// obs index the values joined by `/`, and each one an obs column), its `column` column's values
/// are the var names (in order of first appearance), and each of `values` is a matrix — the
/// first X, the others layers of the same name — stored float32 (NaN where a combination is
/// absent).
public struct MatrixView: Sendable {
    public var table: String
    public var rows: [String]
    public var column: String
    public var values: [String]

    public init(table: String, rows: [String], column: String, values: [String]) {
        self.table = table
        self.rows = rows
        self.column = column
        self.values = values
    }

    /// Writes `table` (which must hold the named columns) to `path` as an h5ad.
    func write(_ table: ResultTable, to path: String) throws {
        let named = Dictionary(table.columns.map { ($0.name, $0.values) }, uniquingKeysWith: { first, _ in first })
        let text = { (name: String, row: Int) -> String in
            switch named[name] {
            case .strings(let values): values[row]
            case .integers(let values): String(values[row])
            case .doubles(let values): "\(values[row])"
            case nil: ""
            }
        }
        let number = { (name: String, row: Int) -> Float in
            switch named[name] {
            case .integers(let values): Float(values[row])
            case .doubles(let values): Float(values[row])
            case .strings, nil: .nan
            }
        }
        for name in rows + [column] + values where named[name] == nil {
            throw AnalysisError(code: "export.h5ad", "the table \(table.name) has no column '\(name)' for its h5ad")
        }
        var obsKeys: [[String]] = []
        var obsIndex: [[String]: Int] = [:]
        var varNames: [String] = []
        var varIndex: [String: Int] = [:]
        var cells: [(row: Int, obs: Int, variable: Int)] = []
        for row in 0..<table.rowCount {
            let key = rows.map { text($0, row) }
            let obs = obsIndex[key] ?? obsKeys.count
            if obs == obsKeys.count {
                obsIndex[key] = obs
                obsKeys.append(key)
            }
            let name = text(column, row)
            let variable = varIndex[name] ?? varNames.count
            if variable == varNames.count {
                varIndex[name] = variable
                varNames.append(name)
            }
            cells.append((row, obs, variable))
        }
        // Every obs row holds every variable (NaN where the table has no such pair).
        var matrices = [[Float]](repeating: [Float](repeating: .nan, count: obsKeys.count * varNames.count), count: values.count)
        for cell in cells {
            for (index, name) in values.enumerated() { matrices[index][cell.obs * varNames.count + cell.variable] = number(name, cell.row) }
        }
        let obs = Frame(
            index: obsKeys.map { $0.joined(separator: "/") },
            columns: rows.enumerated().map { position, name in FrameColumn(name: name, values: .strings(obsKeys.map { $0[position] })) })
        let sparse = { (values: [Float]) in SparseRows(dense: values, rows: obsKeys.count, columnCount: varNames.count) }
        let writer = try H5ADWriter(
            path: path, genes: Frame(index: varNames, indexName: column), cellSchema: obs.schema, layers: Array(values.dropFirst()),
            options: .init(gzipLevel: 1))
        try writer.append(CellBatch(cells: 0..<obsKeys.count, matrix: sparse(matrices[0]), obs: obs), layers: matrices.dropFirst().map(sparse))
        try writer.close()
    }
}
