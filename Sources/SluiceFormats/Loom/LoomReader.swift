/// Streams cells from a Loom file (`/matrix` genes × cells, `row_attrs`, `col_attrs`).
///
/// Loom stores a dense genes × cells matrix, so each read takes the cells' columns in gene slabs
/// and keeps the non-zero values. Genes are indexed by `Accession` when present (else `Gene`),
/// cells by `CellID` (else `obs_names`, else their position); every other one-dimensional
/// attribute becomes a metadata column.
public final class LoomReader: CellSource {
    /// The `.loom` file being read.
    public let path: String
    /// Always ``FileFormat/loom``.
    public let format = FileFormat.loom
    /// Number of cells (columns of the stored genes × cells matrix).
    public let cellCount: Int
    /// Gene metadata from `row_attrs`, indexed by `Accession`, `Gene` or `var_names`, the first present.
    public let genes: Frame
    /// How the counts are stored (dense, genes × cells).
    public let matrixInfo: MatrixInfo
    /// The layer read (`""` = the main matrix).
    public let layer: String
    /// Layers in `/layers`.
    public let layerNames: [String]

    private let file: HDF5File
    private let matrix: DenseMatrixReader
    private let cells: any FrameReader

    /// The `col_attrs` columns every batch carries.
    public var cellMetadataSchema: [FrameColumn.Schema] { cells.schema }

    /// Opens the file; `layer` names a member of `/layers` to read instead of `/matrix`.
    public init(path: String, layer: String = "") throws {
        self.path = path
        self.layer = layer
        file = try HDF5File.open(path)
        let root = try file.root()
        layerNames = root.kind(of: "layers") == .group ? try root.group("layers").memberNames() : []
        let values: HDF5Dataset
        if layer.isEmpty {
            values = try root.dataset("matrix")
        } else {
            guard layerNames.contains(layer) else {
                throw FormatError(.missingObject, path: path, "has no layer \(layer); its layers are \(layerNames.joined(separator: ", "))")
            }
            values = try root.dataset("layers/\(layer)")
        }
        matrix = try DenseMatrixReader(dataset: values, transposed: true)
        cellCount = matrix.rowCount
        let geneReader = try Self.attributes(
            root, "row_attrs", rows: matrix.columnCount, indexCandidates: ["Accession", "Gene", "var_names"], path: path)
        cells = try Self.attributes(
            root, "col_attrs", rows: matrix.rowCount, indexCandidates: ["CellID", "obs_names"], path: path)
        genes = try geneReader.readAll()
        matrixInfo = MatrixInfo(
            layout: "dense (genes × cells)", valueType: values.elementType.description, storedCount: nil,
            compression: values.filters.map(\.description), chunkShape: values.chunkShape, parallelDecompression: false)
    }

    /// Reads the counts and `col_attrs` rows of `range`; throws when `range` lies outside the file or
    /// cannot be read.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        try validate(cells: range)
        return CellBatch(cells: range, matrix: try matrix.read(rows: range), obs: try cells.read(rows: range))
    }

    private static func attributes(
        _ root: HDF5Group, _ groupName: String, rows: Int, indexCandidates: [String], path: String
    ) throws -> any FrameReader {
        guard root.kind(of: groupName) == .group else {
            return try ColumnFrameReader(path: path, what: groupName, rowCount: rows, indexName: "index", index: nil, columns: [])
        }
        let group = try root.group(groupName)
        var readers: [String: any ColumnReader] = [:]
        var order: [String] = []
        for name in try group.memberNames() where group.kind(of: name) == .dataset {
            let dataset = try group.dataset(name)
            // Multi-dimensional attributes (embeddings) are not per-row scalars; leave them out.
            guard dataset.shape.count == 1 else { continue }
            readers[name] = try DatasetColumnReader(name: name, dataset: dataset)
            order.append(name)
        }
        let indexName = indexCandidates.first { readers[$0]?.schema.kind == .string }
        let columns = order.filter { $0 != indexName }.compactMap { readers[$0] }
        return try ColumnFrameReader(
            path: path, what: groupName, rowCount: rows, indexName: indexName ?? "index",
            index: indexName.flatMap { readers[$0] }, columns: columns)
    }
}
