public import SluiceFormats
public import SluiceKernels

/// `activity.h5ad` of single-cell activity, streamed batch by batch: cells × signatures with
/// `X` = z-score and layers `beta`, `se`, `pvalue` (float32, as AnnData's X usually is), `obs`
/// the input's cell metadata (so activities can be grouped by `cell_type` straight away), `var`
/// the reported signatures.
public final class CellActivityWriter {
    private let writer: H5ADWriter
    private let reported: [(name: String, row: Int)]

    public init(path: String, model: ActivityModel, cellSchema: [FrameColumn.Schema]) throws {
        reported = model.reported
        writer = try H5ADWriter(
            path: path, genes: Frame(index: model.reported.map(\.name)), cellSchema: cellSchema, layers: ["beta", "se", "pvalue"],
            options: .init(gzipLevel: 1))
    }

    /// Appends the activity of `cells` (their obs rows are written too).
    public func append(_ cells: CellBatch, _ result: ActivityResult) throws {
        let z = rows(result.zscore, samples: result.samples)
        try writer.append(
            CellBatch(cells: cells.cells, matrix: z, obs: cells.obs),
            layers: [rows(result.beta, samples: result.samples), rows(result.se, samples: result.samples), rows(result.pvalue, samples: result.samples)])
    }

    /// Finishes the file (fsynced, renamed into place).
    public func close() throws { try writer.close() }

    /// Samples × reported signatures, every entry stored, from signatures × samples.
    private func rows(_ values: [Double], samples: Int) -> SparseRows {
        let width = reported.count
        var stored = [Float](repeating: 0, count: samples * width)
        for (column, signature) in reported.enumerated() {
            for sample in 0..<samples { stored[sample * width + column] = Float(values[signature.row * samples + sample]) }
        }
        return SparseRows(dense: stored, rows: samples, columnCount: width)
    }
}
