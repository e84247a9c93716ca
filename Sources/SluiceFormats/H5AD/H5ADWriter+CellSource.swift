/// Converting any ``CellSource`` into an h5ad file.
extension H5ADWriter {
    /// Streams every cell of `source` into a new h5ad at `path`, `chunkSize` cells at a time;
    /// `progress` is called after each chunk with the cells written so far.
    public static func convert(
        _ source: any CellSource, to path: String, chunkSize: Int = 10_000, options: Options = .init(),
        progress: (Int) -> Void = { _ in }
    ) throws {
        let writer = try H5ADWriter(path: path, genes: source.genes, cellSchema: source.cellMetadataSchema, options: options)
        var written = 0
        for range in source.batchRanges(size: chunkSize) {
            try writer.append(try source.read(cells: range))
            written += range.count
            progress(written)
        }
        try writer.close()
    }
}
