import Foundation
import SluiceFormats

/// How a study writes its tables: `tsv` and `csv` (one file a table, a header line, numbers in
/// the shortest form that reads back exactly, undefined values empty, infinities `inf`/`-inf`),
/// `parquet` (one file a table; undefined numbers null) or `json` (one file for the study:
/// `{"study": NAME, "tables": {TABLE: [{COLUMN: VALUE, …}, …]}}`, undefined and infinite numbers
/// `null`, as JSON has no infinity) — what a web front end reads — or, for the studies with a
/// matrix-shaped table, `h5ad` (``MatrixView``).
/// Each file is written whole and renamed into place.
public enum ExportFormat: String, Sendable, CaseIterable {
    case tsv, csv, json, parquet, h5ad

    /// Writes `tables` into `folder` (created); returns the files written. `h5ad` writes
    /// `study.h5ad` from the table `matrix` names, and applies only to studies that have one.
    @discardableResult
    public func write(_ tables: [ResultTable], study: String, to folder: String, matrix: MatrixView? = nil) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(code: "export.output", "could not create the output folder \(folder): \(error.localizedDescription)")
        }
        let path = { (name: String) in (folder as NSString).appendingPathComponent(name) }
        switch self {
        case .tsv, .csv:
            return try tables.map { table in
                let file = path("\(table.name).\(rawValue)")
                try AtomicCommit.write(delimited(table, separator: self == .tsv ? "\t" : ","), to: file)
                return file
            }
        case .json:
            let file = path("\(study).json")
            let document: [String: Any] = [
                "study": study, "tables": Dictionary(uniqueKeysWithValues: tables.map { ($0.name, records($0)) }),
            ]
            let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys])
            try AtomicCommit.write(data, to: file)
            return [file]
        case .parquet:
            return try tables.map { table in
                let file = path("\(table.name).parquet")
                try writeParquet(table, to: file)
                return file
            }
        case .h5ad:
            guard let matrix, let table = tables.first(where: { $0.name == matrix.table }) else {
                throw AnalysisError(
                    code: "export.h5ad", "--format h5ad applies to validate (with --group-by), cross-atlas and composition; write \(study) as tsv, csv, json or parquet")
            }
            let file = path("\(study).h5ad")
            try matrix.write(table, to: file)
            return [file]
        }
    }

    private func delimited(_ table: ResultTable, separator: String) -> String {
        let quote = { (text: String) -> String in
            guard separator == ",", text.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return text }
            return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var text = table.columns.map { quote($0.name) }.joined(separator: separator) + "\n"
        for row in 0..<table.rowCount {
            text +=
                table.columns.map { column in
                    switch column.values {
                    case .strings(let values): quote(values[row])
                    case .integers(let values): String(values[row])
                    case .doubles(let values): values[row].isNaN ? "" : "\(values[row])"
                    }
                }.joined(separator: separator) + "\n"
        }
        return text
    }

    private func records(_ table: ResultTable) -> [[String: Any]] {
        (0..<table.rowCount).map { row in
            Dictionary(
                uniqueKeysWithValues: table.columns.map { column -> (String, Any) in
                    switch column.values {
                    case .strings(let values): (column.name, values[row])
                    case .integers(let values): (column.name, values[row])
                    case .doubles(let values): (column.name, values[row].isFinite ? values[row] as Any : NSNull())
                    }
                })
        }
    }

    private func writeParquet(_ table: ResultTable, to file: String) throws {
        let schema = ParquetSchema(
            table.columns.map { column in
                switch column.values {
                case .strings: .scalar(column.name, .string)
                case .integers: .scalar(column.name, .int64)
                case .doubles: .scalar(column.name, .double, nullable: true)
                }
            })
        let partial = AtomicCommit.partialPath(of: file)
        let writer = try ParquetWriter(path: partial, schema: schema, options: ParquetWriterOptions())
        try writer.write(
            ParquetRowBatch(
                table.columns.map { column in
                    switch column.values {
                    case .strings(let values): ParquetColumnData(.string(ParquetStrings(values)))
                    case .integers(let values): ParquetColumnData(.int64(values.map(Int64.init)))
                    case .doubles(let values): ParquetColumnData(.double(values.map { $0.isNaN ? 0 : $0 }), validity: values.map { !$0.isNaN })
                    }
                }))
        try writer.close()
        try AtomicCommit.commit(partial, to: file)
    }
}
