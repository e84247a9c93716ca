import Foundation
import SluiceFormats
import Synchronization

/// Matrices with row names in the first column, plain or gzip-compressed: expression profiles
/// (genes × samples) and signatures (genes × proteins). Fields are separated by tabs when the
/// header has one, else by runs of blanks (``TableSeparator``). A header with one field fewer
/// than the rows (as in the CytoSig and SecAct files SecActpy ships, and R's `write.table`)
/// names only the value columns; otherwise its first field labels the row names.
public enum MatrixTable {
    /// - Parameters:
    ///   - lenient: fields that are not numbers read as NaN (covariate tables with text columns)
    ///     instead of failing.
    ///   - keepingRows: reads only the rows whose name it accepts (the others' numbers are not
    ///     even parsed; their field count is still checked).
    public static func read(_ path: String, lenient: Bool = false, keepingRows: (@Sendable (String) -> Bool)? = nil) throws -> LabeledMatrix {
        guard FileManager.default.fileExists(atPath: path) else {
            throw AnalysisError(code: "table.missing", "\(path) does not exist")
        }
        let reader = try LineReader(path: path)
        guard let headerLine = try reader.nextLine() else { throw AnalysisError(code: "table.empty", "\(path) is empty") }
        let separator = TableSeparator(header: headerLine.utf8)
        let header = separator.fields(of: headerLine).map(Self.unquoted)
        guard !header.isEmpty else { throw AnalysisError(code: "table.shape", "\(path), line 1: the header is blank") }
        var rows: [String] = []
        var values: [Double] = []
        var columns: [String]?
        var batch = TableLineBatch()
        // A full batch is parsed on other threads while the next one is read.
        let parsing = DispatchGroup()
        let parsed = Mutex<Result<(rows: [String], values: [Double]), any Error>?>(nil)
        func collect() throws {
            parsing.wait()
            guard
                let part = try parsed.withLock({ result in
                    defer { result = nil }; return result
                })?.get()
            else { return }
            rows += part.rows
            values += part.values
        }
        func parseBatch() throws {
            try collect()
            guard let columns, !batch.isEmpty else { return }
            let full = batch
            batch = TableLineBatch()
            DispatchQueue.global().async(group: parsing) {
                let outcome = Result {
                    try full.parse(valueColumns: columns.count, separator: separator, lenient: lenient, path: path, keep: keepingRows)
                }
                parsed.withLock { $0 = outcome }
            }
        }
        var fields: [Range<Int>] = []
        while try reader.nextLine({ line in
            guard !line.isEmpty else { return }
            if columns == nil {
                // The first data line tells whether the header names the row-name column.
                separator.fields(of: line, into: &fields)
                let count = fields.count
                if count == 0 { return }
                switch count {
                case header.count + 1: columns = header
                case header.count where count > 1: columns = Array(header.dropFirst())
                default:
                    throw AnalysisError(
                        code: "table.shape",
                        "\(path), line \(reader.lineNumber): \(count) field(s), but the header has \(header.count); a table needs a row name and at least one value per line")
                }
            }
            batch.append(line, number: reader.lineNumber)
        }) {
            if batch.byteCount >= 16 << 20 { try parseBatch() }
        }
        try parseBatch()
        try collect()
        // Rows all filtered out by `keepingRows` give an empty matrix: the caller says why that is wrong.
        guard let columns, !rows.isEmpty || keepingRows != nil else { throw AnalysisError(code: "table.empty", "\(path) has a header but no rows") }
        return LabeledMatrix(rows: rows, columns: columns, values: values)
    }

    /// A cells × features file (e.g. `activity.h5ad` of single-cell activity: cells ×
    /// signatures, X = z-score) as features × cells, read in chunks.
    /// Whether `path` is an h5ad file (whose rows are samples or cells) rather than a text table.
    public static func isH5AD(_ path: String) -> Bool { (try? FormatDetector.detect(path)) == .h5ad }

    /// A text table, or an h5ad read whole as features × rows (`pseudobulk_mean.h5ad`: genes × groups).
    public static func readTableOrH5AD(_ path: String, matrix: String? = nil) throws -> LabeledMatrix {
        isH5AD(path) ? try readCells(path, matrix: matrix) : try read(path)
    }

    /// A cells file read whole as features × cells, written straight into its final layout (8
    /// bytes a feature and cell, nothing more).
    public static func readCells(_ path: String, matrix: String? = nil, chunkSize: Int = 10_000) throws -> LabeledMatrix {
        let source = try CellSourceOpener.open(path, matrix: matrix)
        let (features, count) = (source.geneCount, source.cellCount)
        var cells: [String] = []
        cells.reserveCapacity(count)
        var values = [Double](repeating: 0, count: features * count)
        for range in source.batchRanges(size: chunkSize) {
            let batch = try source.read(cells: range)
            cells += batch.obs.index
            for row in 0..<batch.matrix.rowCount {
                let cell = range.lowerBound + row
                let (indices, stored) = batch.matrix.row(row)
                for (index, value) in zip(indices, stored) { values[Int(index) * count + cell] = Double(value) }
            }
        }
        return LabeledMatrix(rows: source.genes.index, columns: cells, values: values)
    }

    /// Writes `matrix` with a header `label<TAB>columns…` and full-precision values.
    public static func write(_ matrix: LabeledMatrix, label: String, to path: String) throws {
        var text = ([label] + matrix.columns).joined(separator: "\t") + "\n"
        for (index, row) in matrix.rows.enumerated() {
            text += row
            for column in 0..<matrix.columns.count { text += "\t" + Self.format(matrix[index, column]) }
            text += "\n"
        }
        try AtomicCommit.write(text, to: path)
    }

    /// Shortest text that reads back as the same Double.
    static func format(_ value: Double) -> String { value.isNaN ? "NaN" : "\(value)" }

    static func unquoted(_ field: String) -> String {
        guard field.utf8.count >= 2, field.hasPrefix("\""), field.hasSuffix("\"") else { return field }
        return String(field.dropFirst().dropLast())
    }
}
