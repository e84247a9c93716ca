import Foundation

/// Writes an AnnData `.h5ad` file, streaming cells in row chunks.
///
/// `X` (and each layer) is a `csr_matrix` whose `data` (float32) and `indices` (int32) grow with
/// each appended batch, so memory is bounded by the batch, not the file. obs columns are written in the AnnData
/// encodings (`string-array`, `categorical`, numeric `array`, `nullable-*`); var is written whole
/// when the writer is created. The file is built as `<path>.partial` and renamed into place by
/// ``close()`` after it is flushed and fsynced, so a file at `path` is always complete.
public final class H5ADWriter {
    /// Compression and chunking of the written datasets.
    public struct Options: Sendable {
        /// gzip level 1–9, or `nil` for no compression.
        public var gzipLevel: Int?
        /// Elements per chunk of `X/data` and `X/indices`.
        public var chunkElements: Int

        /// Options with `gzipLevel` (nil: uncompressed) and `chunkElements` elements per chunk.
        public init(gzipLevel: Int? = 4, chunkElements: Int = 1 << 16) {
            self.gzipLevel = gzipLevel
            self.chunkElements = chunkElements
        }
    }

    /// The final path of the file.
    public let path: String
    private let partialPath: String
    private let geneCount: Int
    private let cellSchema: [FrameColumn.Schema]
    private var open: OpenFile?
    private let layerNames: [String]
    private var cellCount = 0

    /// The HDF5 objects held while writing; released as a whole on close.
    private struct OpenFile {
        let file: HDF5File
        let matrix: H5ADSparseMatrixWriter
        let layers: [H5ADSparseMatrixWriter]
        let obs: HDF5Group
        let obsIndex: HDF5Dataset
        let columns: [H5ADColumnWriter]
    }

    /// Starts a file with these genes and cell metadata columns, and (optionally) named layers
    /// of the same shape as `X`.
    public init(path: String, genes: Frame, cellSchema: [FrameColumn.Schema], layers: [String] = [], options: Options = .init()) throws {
        self.path = path
        layerNames = layers
        partialPath = AtomicCommit.partialPath(of: path)
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw FormatError(.invalidArgument, path: path, "is a folder; give the h5ad file to write inside it, e.g. \(path)/cells.h5ad")
        }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty {
            guard FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), isFolder.boolValue else {
                throw FormatError(.fileNotFound, path: path, "cannot be written: the folder \(parent) does not exist")
            }
        }
        geneCount = genes.rowCount
        self.cellSchema = cellSchema
        let file = try HDF5File.create(partialPath)
        let root = try file.root()
        try Self.setEncoding(root, "anndata", "0.1.0")
        for name in ["obsm", "obsp", "uns", "varm", "varp"] {
            try Self.setEncoding(try root.createGroup(name), "dict", "0.1.0")
        }
        let level = options.gzipLevel
        let matrix = try H5ADSparseMatrixWriter(in: root, name: "X", chunkElements: options.chunkElements, gzipLevel: level)
        let layerGroup = try root.createGroup("layers")
        try Self.setEncoding(layerGroup, "dict", "0.1.0")
        let layerWriters = try layers.map {
            try H5ADSparseMatrixWriter(in: layerGroup, name: $0, chunkElements: options.chunkElements, gzipLevel: level)
        }

        let obs = try root.createGroup("obs")
        try Self.setEncoding(obs, "dataframe", "0.2.0")
        try obs.setAttribute("_index", string: "_index")
        try obs.setAttribute("column-order", strings: cellSchema.map(\.name))
        let obsIndex = try obs.createDataset("_index", storage: .utf8String, shape: [0], extendable: true, chunkRows: 16_384, gzipLevel: level)
        try Self.setEncoding(obsIndex, "string-array", "0.2.0")
        let columns = try cellSchema.map { try H5ADColumnWriter($0, in: obs, gzipLevel: level) }

        try Self.writeFrame(genes, as: "var", in: root, gzipLevel: level)
        open = OpenFile(
            file: file, matrix: matrix, layers: layerWriters, obs: obs, obsIndex: obsIndex, columns: columns)
    }

    deinit {
        // A writer dropped without close() leaves no file at `path`, and no partial file either.
        if open != nil {
            open = nil
            try? FileManager.default.removeItem(atPath: partialPath)
        }
    }

    /// Appends a batch of cells (counts and their obs rows), and the same cells' rows of each
    /// layer named when the writer was created, in that order.
    public func append(_ batch: CellBatch, layers: [SparseRows] = []) throws {
        guard let open else { throw FormatError(.invalidArgument, path: path, "the writer is already closed") }
        let rows = batch.matrix
        guard rows.columnCount == geneCount else {
            throw FormatError(.invalidArgument, path: path, "a batch has \(rows.columnCount) genes but the file has \(geneCount)")
        }
        guard batch.obs.rowCount == rows.rowCount, batch.obs.schema == cellSchema else {
            throw FormatError(
                .invalidArgument, path: path, "a batch's obs rows or columns do not match the file's (\(cellSchema.map(\.name)))")
        }
        guard layers.count == layerNames.count, layers.allSatisfy({ $0.rowCount == rows.rowCount && $0.columnCount == geneCount }) else {
            throw FormatError(.invalidArgument, path: path, "a batch must carry one matrix of its shape for each layer (\(layerNames))")
        }
        try open.matrix.append(rows)
        for (writer, layer) in zip(open.layers, layers) { try writer.append(layer) }
        try open.obsIndex.append(strings: batch.obs.index)
        for (writer, column) in zip(open.columns, batch.obs.columns) { try writer.append(column) }
        cellCount += rows.rowCount
    }

    /// Finishes the file: shape and categories are written, the file is flushed, fsynced and
    /// renamed from `<path>.partial` to `path`.
    public func close() throws {
        guard let open else { return }
        try open.matrix.finish(rows: cellCount, columns: geneCount)
        for layer in open.layers { try layer.finish(rows: cellCount, columns: geneCount) }
        for writer in open.columns { try writer.finish() }
        try open.file.flush()
        self.open = nil  // releases every HDF5 handle, which closes the file
        do {
            try AtomicCommit.commit(partialPath, to: path)
        } catch let error as FormatError {
            try? FileManager.default.removeItem(atPath: partialPath)
            throw error
        } catch {
            try? FileManager.default.removeItem(atPath: partialPath)
            throw FormatError(.ioFailure, path: path, "could not be finished: \(error.localizedDescription)")
        }
    }

    private static func setEncoding(_ object: some HDF5Object, _ type: String, _ version: String) throws {
        try object.setAttribute("encoding-type", string: type)
        try object.setAttribute("encoding-version", string: version)
    }

    /// Writes a whole dataframe (var) at once.
    private static func writeFrame(_ frame: Frame, as name: String, in root: HDF5Group, gzipLevel: Int?) throws {
        let group = try root.createGroup(name)
        try setEncoding(group, "dataframe", "0.2.0")
        try group.setAttribute("_index", string: "_index")
        try group.setAttribute("column-order", strings: frame.columns.map(\.name))
        let index = try group.createDataset("_index", storage: .utf8String, shape: [0], extendable: true, chunkRows: 16_384, gzipLevel: gzipLevel)
        try setEncoding(index, "string-array", "0.2.0")
        try index.append(strings: frame.index)
        for column in frame.columns {
            let writer = try H5ADColumnWriter(column.schema, in: group, gzipLevel: gzipLevel)
            try writer.append(column)
            try writer.finish()
        }
    }
}
