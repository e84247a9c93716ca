import Foundation
import SluiceFormats

/// Where `sluice analyze activity` puts its results: for profiles and pseudobulk samples,
/// `beta.tsv`, `se.tsv`, `zscore.tsv`, `pvalue.tsv` (signatures × samples, full precision, the
/// layout SecActpy's results have) and `activity.parquet` (one row per signature and sample:
/// `signature`, `sample`, `beta`, `se`, `zscore`, `pvalue`); for single cells, `activity.h5ad`
/// (``CellActivityWriter``).
public enum ActivityOutput {
    /// Writes the four tables and the Parquet file into `folder` (created); returns their paths.
    @discardableResult
    public static func write(_ tables: SignatureActivity.Tables, to folder: String) throws -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(code: "activity.output", "could not create the output folder \(folder): \(error.localizedDescription)")
        }
        var paths: [String] = []
        for (name, table) in [("beta", tables.beta), ("se", tables.se), ("zscore", tables.zscore), ("pvalue", tables.pvalue)] {
            let path = (folder as NSString).appendingPathComponent("\(name).tsv")
            try MatrixTable.write(table, label: "signature", to: path)
            paths.append(path)
        }
        let parquet = (folder as NSString).appendingPathComponent("activity.parquet")
        try writeParquet(tables, to: parquet)
        return paths + [parquet]
    }

    /// One row per (signature, sample), samples within signatures, in the tables' order.
    static func writeParquet(_ tables: SignatureActivity.Tables, to path: String) throws {
        let schema = ParquetSchema([
            .scalar("signature", .string), .scalar("sample", .string), .scalar("beta", .double), .scalar("se", .double),
            .scalar("zscore", .double), .scalar("pvalue", .double),
        ])
        let writer = try ParquetWriter(path: path, schema: schema, options: ParquetWriterOptions())
        let samples = ParquetStrings(tables.beta.columns)
        let width = tables.beta.columns.count
        for (row, signature) in tables.beta.rows.enumerated() {
            let slice = (row * width)..<((row + 1) * width)
            try writer.write(
                ParquetRowBatch([
                    ParquetColumnData(.string(ParquetStrings([String](repeating: signature, count: width)))),
                    ParquetColumnData(.string(samples)),
                    ParquetColumnData(.double(Array(tables.beta.values[slice]))),
                    ParquetColumnData(.double(Array(tables.se.values[slice]))),
                    ParquetColumnData(.double(Array(tables.zscore.values[slice]))),
                    ParquetColumnData(.double(Array(tables.pvalue.values[slice]))),
                ]))
        }
        try writer.close()
    }
}
