import Foundation
import SluiceFormats

/// Writes a ``DifferentialResult`` as one long table in the layout of scanpy's
/// `sc.get.rank_genes_groups_df(adata, None)`: `[stratum,] group, names, scores,
/// logfoldchanges, pvals, pvals_adj`, comparisons in order, genes by score (highest first).
///
/// `scores` and `logfoldchanges` are written as the float32 values scanpy stores in
/// `adata.uns` (shortest text that reads back as that float32), p-values in full float64.
public enum DifferentialTable {
    static func header(stratified: Bool) -> [String] {
        (stratified ? ["stratum"] : []) + ["group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"]
    }

    /// Writes the tab-separated table to `path` (comparison by comparison, never the whole text at once).
    public static func writeTSV(_ result: DifferentialResult, to path: String) throws {
        let table = try TextTableFile(path: path)
        try table.row(header(stratified: result.stratified))
        for comparison in result.comparisons {
            let prefix = (result.stratified ? [comparison.stratum ?? ""] : []) + [comparison.group]
            for gene in comparison.order {
                try table.row(
                    prefix + [
                        result.genes[gene], "\(Float(comparison.scores[gene]))", "\(Float(comparison.logFoldChanges[gene]))",
                        "\(comparison.pValues[gene])", "\(comparison.adjustedPValues[gene])",
                    ])
            }
        }
        try table.close()
    }

    /// Writes the same table as Parquet (one row group per comparison): scores and
    /// logfoldchanges FLOAT, p-values DOUBLE, text columns STRING.
    public static func writeParquet(_ result: DifferentialResult, to path: String) throws {
        var columns: [ParquetColumn] = header(stratified: result.stratified).prefix(result.stratified ? 3 : 2).map { .scalar($0, .string) }
        columns += [.scalar("scores", .float), .scalar("logfoldchanges", .float), .scalar("pvals", .double), .scalar("pvals_adj", .double)]
        let writer = try ParquetWriter(path: path, schema: ParquetSchema(columns))
        do {
            for comparison in result.comparisons {
                let order = comparison.order
                var data: [ParquetColumnData] = []
                if result.stratified {
                    data.append(ParquetColumnData(.string(ParquetStrings(repeatElement(comparison.stratum ?? "", count: order.count)))))
                }
                data.append(ParquetColumnData(.string(ParquetStrings(repeatElement(comparison.group, count: order.count)))))
                data.append(ParquetColumnData(.string(ParquetStrings(order.map { result.genes[$0] }))))
                data.append(ParquetColumnData(.float(order.map { Float(comparison.scores[$0]) })))
                data.append(ParquetColumnData(.float(order.map { Float(comparison.logFoldChanges[$0]) })))
                data.append(ParquetColumnData(.double(order.map { comparison.pValues[$0] })))
                data.append(ParquetColumnData(.double(order.map { comparison.adjustedPValues[$0] })))
                try writer.write(ParquetRowBatch(data))
            }
            try writer.close()
        } catch {
            writer.abort()
            throw error
        }
    }
}
