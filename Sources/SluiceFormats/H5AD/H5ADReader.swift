import Foundation

/// Streams cells from an AnnData `.h5ad` file.
///
/// Reads `X`, `raw/X` or any `layers/<name>` stored as `csr_matrix`, `csc_matrix` or a dense
/// array, in the current AnnData on-disk format and the legacy ones (anndata < 0.7: compound
/// obs/var tables, `raw.X` h5sparse groups, fixed-length strings). Gene metadata is read up front;
/// counts and cell metadata are read per range of cells. A CSC matrix is transposed once into a
/// scratch folder (12 bytes per stored value) so that cells can still be streamed.
public final class H5ADReader: CellSource {
    /// Which matrix of the file to read and where scratch data may go.
    public struct Options: Sendable {
        /// `X` (default), `raw` (`raw/X`, or `raw.X` in legacy files), or a layer name
        /// (`counts` or `layers/counts`).
        public var matrix: String
        /// Where a CSC matrix is transposed (default: the system temporary folder).
        public var scratchDirectory: String?

        /// Options reading `matrix`; a nil `scratchDirectory` means the system temporary folder.
        public init(matrix: String = "X", scratchDirectory: String? = nil) {
            self.matrix = matrix
            self.scratchDirectory = scratchDirectory
        }
    }

    /// The `.h5ad` file being read.
    public let path: String
    /// Always ``FileFormat/h5ad``.
    public let format = FileFormat.h5ad
    /// Number of cells: rows of the matrix read, and of obs.
    public let cellCount: Int
    /// Gene metadata from var (from the raw var table for the raw matrix, when the file has one).
    public let genes: Frame
    /// The file element the counts come from (`X`, `raw/X`, `raw.X`, `layers/counts`).
    public let matrixElement: String
    /// How that element is stored.
    public let matrixInfo: MatrixInfo
    /// The names of `layers/` in the file.
    public let layerNames: [String]
    /// Whether the file has a raw matrix.
    public let hasRaw: Bool

    private let file: HDF5File
    private let matrix: any RowMatrixReader
    private let cells: any FrameReader

    /// The obs columns every batch carries.
    public var cellMetadataSchema: [FrameColumn.Schema] { cells.schema }

    /// Opens `path` to read `matrix` (see ``Options/matrix``), with the default scratch folder.
    public convenience init(path: String, matrix: String = "X") throws {
        try self.init(path: path, options: Options(matrix: matrix))
    }

    /// Opens `path` and reads its gene metadata; throws ``FormatError`` when the file cannot be read,
    /// the matrix asked for is missing or in an encoding Sluice does not read, or shapes disagree.
    public init(path: String, options: Options) throws {
        self.path = path
        let file = try HDF5File.open(path)
        self.file = file
        let root = try file.root()
        layerNames = root.kind(of: "layers") == .group ? try root.group("layers").memberNames() : []
        hasRaw = root.kind(of: "raw/X") != nil || root.kind(of: "raw.X") != nil

        let (element, varTable) = try Self.resolve(options.matrix, in: root, layers: layerNames)
        matrixElement = element
        let layout = try Self.layout(of: element, in: root)
        let varReader = try H5ADFrameLoader.reader(varTable, in: root, what: varTable)
        cells = try H5ADFrameLoader.reader("obs", in: root, what: "obs")

        switch layout {
        case .sparse(let compressed, let shape, let group):
            guard shape.count == 2 else {
                throw FormatError(.inconsistentShape, path: path, "\(element) has shape \(shape); a matrix needs two dimensions")
            }
            if compressed == .rows {
                matrix = try CSRMatrixReader(group: group, rows: shape[0], columns: shape[1], what: element)
            } else {
                matrix = try CSCMatrixReader(
                    group: group, rows: shape[0], columns: shape[1], what: element, scratch: options.scratchDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) })
            }
            let values = try group.dataset("data")
            matrixInfo = MatrixInfo(
                layout: compressed == .rows ? "csr" : "csc", valueType: values.elementType.description,
                storedCount: values.shape.first, compression: values.filters.map(\.description), chunkShape: values.chunkShape,
                parallelDecompression: (matrix as? CSRMatrixReader)?.isParallel ?? false)
        case .dense(let dataset):
            matrix = try DenseMatrixReader(dataset: dataset, transposed: false)
            matrixInfo = MatrixInfo(
                layout: "dense", valueType: dataset.elementType.description, storedCount: nil,
                compression: dataset.filters.map(\.description), chunkShape: dataset.chunkShape, parallelDecompression: false)
        }

        cellCount = matrix.rowCount
        guard cells.rowCount == matrix.rowCount else {
            throw FormatError(
                .inconsistentShape, path: path, "obs has \(cells.rowCount) rows but \(element) has \(matrix.rowCount) cells")
        }
        guard varReader.rowCount == matrix.columnCount else {
            throw FormatError(
                .inconsistentShape, path: path,
                "\(varTable) has \(varReader.rowCount) rows but \(element) has \(matrix.columnCount) genes")
        }
        genes = try varReader.readAll()
    }

    /// Reads the counts and obs rows of `range`; throws when `range` lies outside the file or cannot be read.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        try validate(cells: range)
        return CellBatch(cells: range, matrix: try matrix.read(rows: range), obs: try cells.read(rows: range))
    }

    /// The obs rows of `range` alone, without reading the matrix.
    public func readCellMetadata(cells range: Range<Int>) throws -> Frame {
        try validate(cells: range)
        return try cells.read(rows: range)
    }

    // MARK: Layout

    private enum Compressed { case rows, columns }

    private enum Layout {
        case sparse(Compressed, shape: [Int], group: HDF5Group)
        case dense(HDF5Dataset)
    }

    /// Maps the user's matrix choice to a file element and the var table that describes its genes.
    private static func resolve(_ choice: String, in root: HDF5Group, layers: [String]) throws -> (element: String, var: String) {
        switch choice {
        case "X", "":
            guard root.contains("X") else {
                throw FormatError(.missingObject, path: root.path, "has no X (the cells × genes matrix) — is this an AnnData file?")
            }
            return ("X", "var")
        case "raw", "raw/X", "raw.X":
            if root.contains("raw/X") { return ("raw/X", root.contains("raw/var") ? "raw/var" : "var") }
            if root.contains("raw.X") { return ("raw.X", root.contains("raw.var") ? "raw.var" : "var") }
            throw FormatError(.missingObject, path: root.path, "has no raw matrix (raw/X)")
        default:
            let name = choice.hasPrefix("layers/") ? String(choice.dropFirst("layers/".count)) : choice
            guard layers.contains(name) else {
                let available = layers.isEmpty ? "it has no layers" : "its layers are \(layers.joined(separator: ", "))"
                throw FormatError(.missingObject, path: root.path, "has no layer \(name); \(available)")
            }
            return ("layers/\(name)", "var")
        }
    }

    private static func layout(of element: String, in root: HDF5Group) throws -> Layout {
        switch root.kind(of: element) {
        case .dataset:
            let dataset = try root.dataset(element)
            if let encoding = try dataset.stringAttribute("encoding-type"), encoding != "array" {
                throw FormatError(.unsupportedEncoding, path: root.path, "\(element) has encoding-type \(encoding), which Sluice does not read")
            }
            return .dense(dataset)
        case .group:
            let group = try root.group(element)
            let encoding = try group.stringAttribute("encoding-type") ?? group.stringAttribute("h5sparse_format").map { "\($0)_matrix" }
            let shape = try group.integerArrayAttribute("shape") ?? group.integerArrayAttribute("h5sparse_shape")
            guard let shape else {
                throw FormatError(.missingObject, path: root.path, "\(element) is a sparse group without a shape attribute")
            }
            switch encoding {
            case "csr_matrix": return .sparse(.rows, shape: shape.map { Int($0) }, group: group)
            case "csc_matrix": return .sparse(.columns, shape: shape.map { Int($0) }, group: group)
            default:
                throw FormatError(
                    .unsupportedEncoding, path: root.path,
                    "\(element) has encoding-type \(encoding ?? "(none)"); Sluice reads csr_matrix, csc_matrix and dense arrays")
            }
        default:
            throw FormatError(.missingObject, path: root.path, "has no \(element)")
        }
    }
}
