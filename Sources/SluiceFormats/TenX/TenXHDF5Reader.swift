/// Streams cells from a 10x Genomics Cell Ranger HDF5 matrix (`filtered_feature_bc_matrix.h5`).
///
/// - Version 3 (Cell Ranger ≥ 3): group `matrix/` with `features/{id, name, feature_type, genome}`.
/// - Version 2: one group per genome with `genes` and `gene_names`.
///
/// Both store genes × cells CSC, i.e. cells × genes CSR, so cells stream straight from the file.
/// Genes are indexed by their id (Ensembl) with the symbol in `gene_symbols`, as
/// `scanpy.read_10x_h5` does; cells are indexed by barcode.
public final class TenXHDF5Reader: CellSource {
    /// The `.h5` file being read.
    public let path: String
    /// Always ``FileFormat/tenXHDF5``.
    public let format = FileFormat.tenXHDF5
    /// Number of cells (barcodes).
    public let cellCount: Int
    /// Features indexed by id (`gene_ids`), with `gene_symbols`; version 3 files add `feature_types`,
    /// and `genome` when the file has it.
    public let genes: Frame
    /// 2 or 3.
    public let version: Int
    /// The genome group read (version 2) or `matrix` (version 3).
    public let groupName: String
    /// How the counts are stored (CSC genes × cells, read as CSR cells × genes).
    public let matrixInfo: MatrixInfo
    /// Empty: batches carry only the barcodes, as their index.
    public var cellMetadataSchema: [FrameColumn.Schema] { [] }

    private let file: HDF5File
    private let matrix: CSRMatrixReader
    private let barcodes: HDF5Dataset

    /// Opens the file; for version 2 files with several genomes, `genome` picks one (default: the first).
    public init(path: String, genome: String? = nil) throws {
        self.path = path
        file = try HDF5File.open(path)
        let root = try file.root()
        let group: HDF5Group
        if root.kind(of: "matrix") == .group {
            group = try root.group("matrix")
            version = 3
        } else {
            let candidates = try root.memberNames().filter { root.kind(of: "\($0)/indptr") == .dataset }
            guard let chosen = genome ?? candidates.first else {
                throw FormatError(.missingObject, path: path, "has no 10x matrix group (neither matrix/ nor a genome group with indptr)")
            }
            guard candidates.contains(chosen) else {
                throw FormatError(.missingObject, path: path, "has no genome \(chosen); it has \(candidates.joined(separator: ", "))")
            }
            group = try root.group(chosen)
            version = 2
        }
        groupName = group.name
        let shape = try group.dataset("shape").readAll(Int64.self).map { Int($0) }
        guard shape.count == 2 else {
            throw FormatError(.inconsistentShape, path: path, "\(group.name)/shape holds \(shape), not two numbers")
        }
        let (geneCount, cells) = (shape[0], shape[1])
        matrix = try CSRMatrixReader(group: group, rows: cells, columns: geneCount, what: group.name)
        barcodes = try group.dataset("barcodes")
        guard barcodes.shape.first == cells else {
            throw FormatError(
                .inconsistentShape, path: path, "\(barcodes.name) has \(barcodes.shape.first ?? 0) barcodes but the matrix has \(cells) cells")
        }
        cellCount = cells

        let ids: HDF5Dataset
        var columns: [FrameColumn] = []
        if version == 3 {
            ids = try group.dataset("features/id")
            columns.append(FrameColumn(name: "gene_symbols", values: .strings(try group.dataset("features/name").readStrings())))
            columns.append(FrameColumn(name: "feature_types", values: .strings(try group.dataset("features/feature_type").readStrings())))
            if group.contains("features/genome") {
                columns.append(FrameColumn(name: "genome", values: .strings(try group.dataset("features/genome").readStrings())))
            }
        } else {
            ids = try group.dataset("genes")
            columns.append(FrameColumn(name: "gene_symbols", values: .strings(try group.dataset("gene_names").readStrings())))
        }
        let geneIDs = try ids.readStrings()
        guard geneIDs.count == geneCount, columns.allSatisfy({ $0.count == geneCount }) else {
            throw FormatError(.inconsistentShape, path: path, "the feature tables do not all have \(geneCount) rows")
        }
        genes = Frame(index: geneIDs, indexName: "gene_ids", columns: columns)
        let values = try group.dataset("data")
        matrixInfo = MatrixInfo(
            layout: "csc (genes × cells) = csr (cells × genes)", valueType: values.elementType.description,
            storedCount: values.shape.first, compression: values.filters.map(\.description), chunkShape: values.chunkShape,
            parallelDecompression: matrix.isParallel)
    }

    /// Reads the counts of `range`, indexed by barcode; throws when `range` lies outside the file or
    /// cannot be read.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        try validate(cells: range)
        let obs = Frame(index: try barcodes.readStrings(range: range), indexName: "barcode")
        return CellBatch(cells: range, matrix: try matrix.read(rows: range), obs: obs)
    }
}
