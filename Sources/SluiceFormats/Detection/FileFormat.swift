/// A file format Sluice reads.
public enum FileFormat: String, Hashable, Sendable, Codable, CustomStringConvertible {
    case h5ad
    case tenXHDF5 = "10x-hdf5"
    case matrixMarket = "matrix-market"
    case loom
    case parquet

    /// The format's name for people, e.g. `h5ad (AnnData)`.
    public var description: String {
        switch self {
        case .h5ad: "h5ad (AnnData)"
        case .tenXHDF5: "10x Genomics HDF5"
        case .matrixMarket: "10x Matrix Market"
        case .loom: "Loom"
        case .parquet: "Parquet"
        }
    }
}
