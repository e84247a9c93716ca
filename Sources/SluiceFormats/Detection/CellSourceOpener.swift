/// Opens any supported single-cell file as a ``CellSource``, detecting its format.
public enum CellSourceOpener {
    /// Opens `path`. `matrix` picks the h5ad matrix (`X`, `raw`, a layer) or the Loom layer;
    /// `scratchDirectory` is where CSC and Matrix Market inputs are sorted by cell.
    public static func open(_ path: String, matrix: String? = nil, scratchDirectory: String? = nil) throws -> any CellSource {
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
