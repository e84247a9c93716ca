/// Opens any supported single-cell file as a ``CellSource``, detecting its format.
public enum CellSourceOpener {
    /// Opens `path`. `matrix` picks the h5ad matrix (`X`, `raw`, a layer) or the Loom layer;
    /// `scratchDirectory` is where CSC and Matrix Market inputs are sorted by cell; `features`
    /// which typed features count as genes — by default gene expression only in 10x files (as
    /// scanpy's `read_10x_h5`/`read_10x_mtx` with `gex_only=True`), every feature in h5ad and Loom
    /// files (as anndata reads them).
    public static func open(
        _ path: String, matrix: String? = nil, scratchDirectory: String? = nil, features: FeatureSelection? = nil
    ) throws -> any CellSource {
        let source = try openAll(path, matrix: matrix, scratchDirectory: scratchDirectory)
        let tenX = source.format == .tenXHDF5 || source.format == .matrixMarket
        return try FeatureFilteredSource.filtering(source, features ?? (tenX ? .geneExpression : .all)) ?? source
    }

    /// The file's reader, every feature included.
    private static func openAll(_ path: String, matrix: String?, scratchDirectory: String?) throws -> any CellSource {
        switch try FormatDetector.detect(path) {
        case .h5ad:
            return try H5ADReader(path: path, options: .init(matrix: matrix ?? "X", scratchDirectory: scratchDirectory))
        case .tenXHDF5:
            return try TenXHDF5Reader(path: path)
        case .matrixMarket:
            return try MatrixMarketReader(path: path, scratchDirectory: scratchDirectory)
        case .loom:
            return try LoomReader(path: path, layer: matrix ?? "")
        case .parquet:
            throw FormatError(.unknownFormat, path: path, "is a Parquet table, not a cells × genes matrix")
        }
    }
}
