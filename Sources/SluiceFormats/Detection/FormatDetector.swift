import Foundation

/// Recognizes a file's format by its content, not its name.
public enum FormatDetector {
    /// The format of the file or folder at `path`.
    public static func detect(_ path: String) throws -> FileFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormatError(.fileNotFound, path: path, "no such file or folder")
        }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            if names.contains(where: { $0 == "matrix.mtx" || $0 == "matrix.mtx.gz" }) { return .matrixMarket }
            throw FormatError(.unknownFormat, path: path, "is a folder without matrix.mtx[.gz]; Sluice reads 10x Matrix Market folders")
        }
        let head = try prefix(of: path, count: 16)
        guard !head.isEmpty else { throw FormatError(.unknownFormat, path: path, "is empty (0 bytes) — is the download incomplete?") }
        if head.starts(with: Array("PAR1".utf8)) { return .parquet }
        if head.starts(with: Array("%%MatrixMarket".utf8.prefix(14))) { return .matrixMarket }
        if head.starts(with: [0x1f, 0x8b]) {
            let reader = try LineReader(path: path)
            if let first = try? reader.nextLine(), first.hasPrefix("%%MatrixMarket") { return .matrixMarket }
        }
        if HDF5File.hasSignature(path) { return try detectHDF5(path) }
        let shown = head.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        let hdf5Extensions: Set<String> = ["h5ad", "h5", "hdf5", "loom"]
        if hdf5Extensions.contains((path as NSString).pathExtension.lowercased()) {
            throw FormatError(
                .notHDF5, path: path,
                "is named like an HDF5 file but is not one (no HDF5 signature; it starts with bytes \(shown)) — is the download incomplete or an error page?")
        }
        throw FormatError(
            .unknownFormat, path: path,
            "is not a format Sluice reads (h5ad, 10x HDF5, Matrix Market, Loom, Parquet); it starts with bytes \(shown)")
    }

    private static func detectHDF5(_ path: String) throws -> FileFormat {
        let root = try HDF5File.open(path).root()
        if root.kind(of: "matrix") == .dataset, root.contains("row_attrs") || root.contains("col_attrs") { return .loom }
        if root.kind(of: "matrix/indptr") == .dataset, root.contains("matrix/barcodes") { return .tenXHDF5 }
        if root.contains("X") || root.contains("obs") { return .h5ad }
        let members = try root.memberNames()
        if members.contains(where: { root.kind(of: "\($0)/indptr") == .dataset && root.contains("\($0)/barcodes") }) { return .tenXHDF5 }
        throw FormatError(
            .unknownFormat, path: path,
            "is an HDF5 file but not h5ad, 10x or Loom (its top-level members are \(members.prefix(8).joined(separator: ", ")))")
    }

    private static func prefix(of path: String, count: Int) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FormatError(.fileNotFound, path: path, "cannot be opened for reading")
        }
        defer { try? handle.close() }
        return Array((try? handle.read(upToCount: count)) ?? Data())
    }
}
