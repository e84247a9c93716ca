import Foundation
import SluiceFormats
import SluiceKernels
import Synchronization

/// Writes a ``PseudobulkResult`` into a folder:
///
/// - `pseudobulk.h5ad`: kept groups × genes, `X` = sums; obs = the key columns (categorical),
///   `psbulk_cells`, `psbulk_counts`; var = the source's genes. `pseudobulk_mean.h5ad`: the same
///   with `X` = means. (h5ad `X` is float32 here: sums above 2^24 are rounded there, and
///   ``Summary/inexactSums`` counts them; the tables below are exact.)
/// - `sum.tsv`, `mean.tsv`, `nonzero.tsv`: genes × kept groups (gene names in the first column,
///   one column per group — the layout `sluice analyze activity` reads), numbers in their
///   shortest exact text; with a bootstrap also `bootstrap_mean.tsv`, `bootstrap_lower.tsv`,
///   `bootstrap_upper.tsv`.
/// - `pseudobulk.parquet`: the same numbers as one long table, a row per (kept group, gene):
///   `group`, the key columns, `gene`, `sum`, `mean`, `nonzero_cells` (+ `bootstrap_*`).
/// - `groups.tsv`: every group found, kept or not, with its labels, `psbulk_cells`,
///   `psbulk_counts` and `kept`.
///
/// Every file is written beside its final name and renamed when complete. Memory: one block of
/// groups per file being written, on top of the result itself.
public enum PseudobulkOutput {
    /// What was written.
    public struct Summary: Sendable {
        /// Paths of the files written.
        public var files: [String]
        /// Sums that float32 `X` of `pseudobulk.h5ad` cannot hold exactly (beyond 2^24).
        public var inexactSums: Int
    }

    /// Writes every output file of `result` into `folder` (created if needed). The h5ad files use
    /// gzip level 1 by default: their values are dense and barely compress further (level 4 took
    /// twice as long on 640 groups × 20,000 genes for 5% smaller files).
    ///
    /// Two lanes run at once, one per core, of about equal work: the h5ad files (one after the
    /// other: HDF5 takes one thread at a time), `nonzero.tsv` and `groups.tsv`; and the Parquet
    /// table and the other text tables.
    public static func write(_ result: PseudobulkResult, to folder: String, gzipLevel: Int? = 1) throws -> Summary {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw AnalysisError(
                code: "pseudobulk.write", "could not create the output folder \(folder): \(error.localizedDescription)")
        }
        let outcome = Mutex<(inexact: Int, failure: (any Error)?)>((0, nil))
        ParallelFor.run(parts: 2) { lane in
            do {
                if lane == 0 {
                    let inexact = try writeH5ADFiles(result, folder: folder, gzipLevel: gzipLevel)
                    outcome.withLock { $0.inexact = inexact }
                    try writeTables(result, lane: 0, folder: folder)
                } else {
                    try writeParquet(path("pseudobulk.parquet", in: folder), result)
                    try writeTables(result, lane: 1, folder: folder)
                }
            } catch {
                outcome.withLock { if $0.failure == nil { $0.failure = error } }
            }
        }
        let (inexact, failure) = outcome.withLock { ($0.inexact, $0.failure) }
        if let failure { throw failure }
        var names = ["pseudobulk.h5ad", "pseudobulk_mean.h5ad", "sum.tsv", "mean.tsv", "nonzero.tsv"]
        if result.bootstrap != nil { names += ["bootstrap_mean.tsv", "bootstrap_lower.tsv", "bootstrap_upper.tsv"] }
        names += ["pseudobulk.parquet", "groups.tsv"]
        return Summary(files: names.map { path($0, in: folder) }, inexactSums: inexact)
    }

    private static func path(_ name: String, in folder: String) -> String { (folder as NSString).appendingPathComponent(name) }

    /// `pseudobulk.h5ad` (sums) and `pseudobulk_mean.h5ad`; returns how many sums float32 rounds.
    private static func writeH5ADFiles(_ result: PseudobulkResult, folder: String, gzipLevel: Int?) throws -> Int {
        let cells = result.keptGroups.map { Double($0.cells) }
        let obs = groupFrame(result)
        var inexact = 0
        try writeH5AD(path("pseudobulk.h5ad", in: folder), result, obs: obs, gzipLevel: gzipLevel) { k, j in
            let sum = result.sums[k][j]
            if Double(Float(sum)) != sum { inexact += 1 }
            return sum
        }
        try writeH5AD(path("pseudobulk_mean.h5ad", in: folder), result, obs: obs, gzipLevel: gzipLevel) { k, j in
            result.sums[k][j] / cells[k]
        }
        return inexact
    }

    /// The genes × groups tables of one lane (0: `nonzero.tsv` and `groups.tsv`; 1: the others).
    private static func writeTables(_ result: PseudobulkResult, lane: Int, folder: String) throws {
        let kept = result.keptGroups
        let cells = kept.map { Double($0.cells) }
        var tables: [(String, (Int, Int) -> Double)] = []
        if lane == 0 {
            tables.append(("nonzero.tsv", { k, j in Double(result.nonzeroCells[k][j]) }))
        } else {
            tables += [("sum.tsv", { k, j in result.sums[k][j] }), ("mean.tsv", { k, j in result.sums[k][j] / cells[k] })]
            if let bootstrap = result.bootstrap {
                tables += [
                    ("bootstrap_mean.tsv", { k, j in bootstrap[k].mean[j] }),
                    ("bootstrap_lower.tsv", { k, j in bootstrap[k].lower[j] }),
                    ("bootstrap_upper.tsv", { k, j in bootstrap[k].upper[j] }),
                ]
            }
        }
        let genes = result.genes.rowCount
        let block = 256
        var transposed = [Double](repeating: 0, count: block * kept.count)
        for (name, value) in tables {
            let file = try TextTableFile(path: path(name, in: folder))
            try file.row(["gene"] + kept.map(\.name))
            // A block of genes at a time, read group by group (each group's values are contiguous)
            // into a genes × groups block, so the rows are written from cached memory.
            for first in stride(from: 0, to: genes, by: block) {
                let count = min(block, genes - first)
                for k in kept.indices {
                    for offset in 0..<count { transposed[offset * kept.count + k] = value(k, first + offset) }
                }
                for offset in 0..<count {
                    let row = offset * kept.count
                    try file.row(result.genes.index[first + offset], transposed[row..<(row + kept.count)])
                }
            }
            try file.close()
        }
        guard lane == 0 else { return }
        let groups = try TextTableFile(path: path("groups.tsv", in: folder))
        try groups.row(["group"] + result.keyColumns + ["psbulk_cells", "psbulk_counts", "kept"])
        for group in result.groups {
            try groups.row(
                [group.name] + group.labels + [
                    String(group.cells), TextTableFile.number(group.totalCounts), group.kept ? "true" : "false",
                ])
        }
        try groups.close()
    }

    /// obs of the h5ad files: one row per kept group.
    static func groupFrame(_ result: PseudobulkResult) -> Frame {
        let kept = result.keptGroups
        var columns: [FrameColumn] = []
        for (c, name) in result.keyColumns.enumerated() {
            var categories: [String] = []
            var codeOf: [String: Int32] = [:]
            let codes = kept.map { group -> Int32 in
                let label = group.labels[c]
                if let code = codeOf[label] { return code }
                let code = Int32(categories.count)
                categories.append(label)
                codeOf[label] = code
                return code
            }
            columns.append(FrameColumn(name: name, values: .categorical(codes: codes, categories: categories, ordered: false)))
        }
        columns.append(FrameColumn(name: "psbulk_cells", values: .integers(kept.map { Int64($0.cells) })))
        columns.append(FrameColumn(name: "psbulk_counts", values: .floats(kept.map(\.totalCounts))))
        return Frame(index: kept.map(\.name), indexName: "_index", columns: columns)
    }

    /// Groups × genes with `value(group, gene)` as `X`, written a block of groups at a time;
    /// zeros are not stored (X is CSR).
    private static func writeH5AD(
        _ path: String, _ result: PseudobulkResult, obs: Frame, gzipLevel: Int?, value: (Int, Int) -> Double
    ) throws {
        let genes = result.genes.rowCount
        let writer = try H5ADWriter(path: path, genes: result.genes, cellSchema: obs.schema, options: .init(gzipLevel: gzipLevel))
        let block = max(1, (1 << 22) / max(1, genes))
        for start in stride(from: 0, to: obs.rowCount, by: block) {
            let range = start..<min(obs.rowCount, start + block)
            var offsets: [Int64] = [0]
            var columns: [Int32] = []
            var values: [Float] = []
            for k in range {
                for j in 0..<genes {
                    let v = value(k, j)
                    guard v != 0 else { continue }
                    columns.append(Int32(j))
                    values.append(Float(v))
                }
                offsets.append(Int64(values.count))
            }
            let rows = SparseRows(offsets: offsets, columns: columns, values: values, columnCount: genes)
            try writer.append(CellBatch(cells: range, matrix: rows, obs: obs.rows(range)))
        }
        try writer.close()
    }

    /// The long table: a row per (kept group, gene), one row batch per group.
    private static func writeParquet(_ path: String, _ result: PseudobulkResult) throws {
        let cells = result.keptGroups.map { Double($0.cells) }
        var schema: [ParquetColumn] = [.scalar("group", .string)]
        schema += result.keyColumns.map { ParquetColumn.scalar($0, .string) }
        schema += [.scalar("gene", .string), .scalar("sum", .double), .scalar("mean", .double), .scalar("nonzero_cells", .int32)]
        if result.bootstrap != nil {
            schema += [
                .scalar("bootstrap_mean", .double), .scalar("bootstrap_lower", .double), .scalar("bootstrap_upper", .double),
            ]
        }
        var options = ParquetWriterOptions()
        options.rowGroupByteSize = 32 << 20
        // Dictionary-encoding millions of repeated strings, and their min/max statistics, cost
        // more time than zstd (which finds the repeats anyway) saves space.
        options.dictionaryEnabled = false
        options.statisticsEnabled = false
        let writer = try ParquetWriter(path: path, schema: ParquetSchema(schema), options: options)
        let genes = ParquetStrings(result.genes.index)
        let count = result.genes.rowCount
        for (k, group) in result.keptGroups.enumerated() {
            var columns = [ParquetColumnData(.string(try repeated(group.name, count)))]
            columns += try group.labels.map { ParquetColumnData(.string(try repeated($0, count))) }
            columns += [
                ParquetColumnData(.string(genes)),
                ParquetColumnData(.double(result.sums[k])),
                ParquetColumnData(.double(result.sums[k].map { $0 / cells[k] })),
                ParquetColumnData(.int32(result.nonzeroCells[k])),
            ]
            if let bootstrap = result.bootstrap {
                columns += [
                    ParquetColumnData(.double(bootstrap[k].mean)), ParquetColumnData(.double(bootstrap[k].lower)),
                    ParquetColumnData(.double(bootstrap[k].upper)),
                ]
            }
            try writer.write(ParquetRowBatch(columns))
        }
        try writer.close()
    }

    /// `text` `count` times, built directly as offsets and bytes (the generic sequence
    /// initializer costs tens of seconds over millions of rows).
    private static func repeated(_ text: String, _ count: Int) throws -> ParquetStrings {
        let utf8 = Array(text.utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(utf8.count * count)
        for _ in 0..<count { bytes.append(contentsOf: utf8) }
        return try ParquetStrings(offsets: (0...count).map { $0 * utf8.count }, bytes: bytes)
    }
}
