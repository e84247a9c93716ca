import Foundation
import SluiceFormats

/// Writes a ``DifferentialResult`` as one long table in the layout of scanpy's
/// `sc.get.rank_genes_groups_df(adata, None)`: `[strata…,] group, names, scores,
/// logfoldchanges, pvals, pvals_adj`, comparisons in order, genes by score (highest first).
/// A stratified run starts each row with its stratum's label in each `--stratify` column (the
/// column named as in the file). With `--effect activity-diff` the effect column is
/// `activity_diff` (mean of the group − mean of the other side) and the p-values are followed by
/// `neg_log10_pval` (−log₁₀ p) and `qvalue` (Benjamini–Hochberg, as `pvals_adj`).
///
/// `scores` and the effect are written as the float32 values scanpy stores in `adata.uns`
/// (shortest text that reads back as that float32), p-values in full float64.
public enum DifferentialTable {
    static func header(stratifiedBy strata: [String], effect: DifferentialEffect) -> [String] {
        switch effect {
        case .logFoldChange: strata + ["group", "names", "scores", "logfoldchanges", "pvals", "pvals_adj"]
        case .activityDifference: strata + ["group", "names", "scores", "activity_diff", "pvals", "neg_log10_pval", "qvalue"]
        }
    }

    /// Writes the tab-separated table to `path` (comparison by comparison, never the whole text at once).
    public static func writeTSV(_ result: DifferentialResult, to path: String) throws {
        let table = try TextTableFile(path: path)
        try table.row(header(stratifiedBy: result.stratifiedBy, effect: result.effect))
        for comparison in result.comparisons {
            let prefix = comparison.strata + [comparison.group]
            for gene in comparison.order {
                let p = comparison.pValues[gene]
                var row = prefix + [result.genes[gene], "\(Float(comparison.scores[gene]))", "\(Float(comparison.effects[gene]))", "\(p)"]
                if result.effect == .activityDifference { row.append("\(-log10(p))") }
                row.append("\(comparison.adjustedPValues[gene])")
                try table.row(row)
            }
        }
        try table.close()
    }

    /// Writes the same table as Parquet (one row group per comparison): scores and the effect
    /// FLOAT, p-values DOUBLE, text columns STRING.
    public static func writeParquet(_ result: DifferentialResult, to path: String) throws {
        let names = header(stratifiedBy: result.stratifiedBy, effect: result.effect)
        let textColumns = result.stratifiedBy.count + 2
        let columns: [ParquetColumn] = names.enumerated().map { index, name in
            .scalar(name, index < textColumns ? .string : index < textColumns + 2 ? .float : .double)
        }
        let writer = try ParquetWriter(path: path, schema: ParquetSchema(columns))
        do {
            for comparison in result.comparisons {
                let order = comparison.order
                let text = { (value: String) in ParquetColumnData(.string(ParquetStrings(repeatElement(value, count: order.count)))) }
                var data = (comparison.strata + [comparison.group]).map(text)
                data.append(ParquetColumnData(.string(ParquetStrings(order.map { result.genes[$0] }))))
                data.append(ParquetColumnData(.float(order.map { Float(comparison.scores[$0]) })))
                data.append(ParquetColumnData(.float(order.map { Float(comparison.effects[$0]) })))
                data.append(ParquetColumnData(.double(order.map { comparison.pValues[$0] })))
                if result.effect == .activityDifference {
                    data.append(ParquetColumnData(.double(order.map { -log10(comparison.pValues[$0]) })))
                }
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
