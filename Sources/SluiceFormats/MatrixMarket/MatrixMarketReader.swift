import Foundation

/// Streams cells from a 10x Matrix Market folder: `matrix.mtx[.gz]` (genes × cells coordinates),
/// `features.tsv[.gz]` or `genes.tsv[.gz]`, and `barcodes.tsv[.gz]`.
///
/// Coordinates come in no guaranteed order, so on the first read the file is streamed once
/// (gzip inflated on the fly) and its entries sorted by cell into a scratch folder (12 bytes per
/// entry, see ``RowBucketStore``); each read then touches only the cells asked for. Genes are
/// indexed by id (first column) with `gene_symbols` (second) and `feature_types` (third, when
/// present), as `scanpy.read_10x_mtx` does.
public final class MatrixMarketReader: CellSource {
    /// The folder, or the `matrix.mtx[.gz]` path, being read.
    public let path: String
    /// Always ``FileFormat/matrixMarket``.
    public let format = FileFormat.matrixMarket
    /// Number of cells: columns of the matrix, one per barcode.
    public let cellCount: Int
    /// Genes indexed by id (`gene_ids`), with `gene_symbols`, and `feature_types` when the file has
    /// a third column.
    public let genes: Frame
    /// The coordinate file.
    public let matrixPath: String
    /// `integer`, `real` or `pattern`.
    public let field: String
    /// Entries the header declares.
    public let declaredEntries: Int
    /// Empty: batches carry only the barcodes, as their index.
    public var cellMetadataSchema: [FrameColumn.Schema] { [] }
    /// How the counts are stored, from the header: coordinates, the field type and the declared entries.
    public var matrixInfo: MatrixInfo {
        MatrixInfo(
            layout: "coordinate (genes × cells)", valueType: field, storedCount: declaredEntries,
            compression: matrixPath.hasSuffix(".gz") ? ["gzip"] : [], chunkShape: nil, parallelDecompression: false)
    }

    private let barcodes: [String]
    private let scratch: URL?
    private var store: RowBucketStore?

    /// Opens a folder (or the path of its `matrix.mtx[.gz]`); `scratchDirectory` is where the
    /// entries are sorted by cell (default: the system temporary folder).
    public init(path: String, scratchDirectory: String? = nil) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw FormatError(.fileNotFound, path: path, "no such file or folder")
        }
        let folder = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        self.path = path
        scratch = scratchDirectory.map { URL(fileURLWithPath: $0, isDirectory: true) }
        func find(_ names: [String]) -> String? {
            names.lazy.map { (folder as NSString).appendingPathComponent($0) }.first { FileManager.default.fileExists(atPath: $0) }
        }
        guard let matrixPath = isDirectory.boolValue ? find(["matrix.mtx.gz", "matrix.mtx"]) : path else {
            throw FormatError(.missingObject, path: path, "has no matrix.mtx or matrix.mtx.gz")
        }
        guard let featuresPath = find(["features.tsv.gz", "features.tsv", "genes.tsv.gz", "genes.tsv"]) else {
            throw FormatError(.missingObject, path: path, "has no features.tsv[.gz] or genes.tsv[.gz] beside the matrix")
        }
        guard let barcodesPath = find(["barcodes.tsv.gz", "barcodes.tsv"]) else {
            throw FormatError(.missingObject, path: path, "has no barcodes.tsv[.gz] beside the matrix")
        }
        self.matrixPath = matrixPath

        let header = try Self.readHeader(matrixPath)
        field = header.field
        declaredEntries = header.entries
        genes = try Self.readFeatures(featuresPath, expected: header.rows)
        barcodes = try Self.readColumn(barcodesPath)
        guard barcodes.count == header.columns else {
            throw FormatError(
                .inconsistentShape, path: barcodesPath, "lists \(barcodes.count) barcodes but the matrix has \(header.columns) cells")
        }
        cellCount = header.columns
    }

    /// Reads the counts of `range`, indexed by barcode, sorting the file's entries by cell on the
    /// first read; throws when `range` lies outside the file or cannot be read.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        try validate(cells: range)
        let obs = Frame(index: Array(barcodes[range]), indexName: "barcode")
        return CellBatch(cells: range, matrix: try sorted().read(rows: range), obs: obs)
    }

    // MARK: Parsing

    private struct Header {
        var field: String
        var rows: Int
        var columns: Int
        var entries: Int
    }

    private static func readHeader(_ path: String) throws -> Header {
        let reader = try LineReader(path: path)
        guard let banner = try reader.nextLine() else {
            throw FormatError(.malformedText, path: path, "is empty")
        }
        let words = banner.lowercased().split(separator: " ").map(String.init)
        guard words.count >= 5, words[0] == "%%matrixmarket", words[1] == "matrix" else {
            throw FormatError(.malformedText, path: path, "does not start with a %%MatrixMarket matrix header (found \"\(banner.prefix(60))\")")
        }
        guard words[2] == "coordinate" else {
            throw FormatError(.unsupportedEncoding, path: path, "is a Matrix Market '\(words[2])' (dense) file; Sluice reads 'coordinate' (sparse) ones")
        }
        guard ["integer", "real", "pattern"].contains(words[3]) else {
            throw FormatError(.unsupportedType, path: path, "has field type \(words[3]); Sluice reads integer, real and pattern")
        }
        guard words[4] == "general" else {
            throw FormatError(.unsupportedEncoding, path: path, "has symmetry \(words[4]); count matrices are general")
        }
        while let line = try reader.nextLine() {
            if line.hasPrefix("%") || line.allSatisfy(\.isWhitespace) { continue }
            let numbers = line.split(whereSeparator: \.isWhitespace).compactMap { Int($0) }
            guard numbers.count == 3, numbers.allSatisfy({ $0 >= 0 }) else {
                throw FormatError(.malformedText, path: path, "line \(reader.lineNumber): expected 'rows columns entries', found \"\(line.prefix(60))\"")
            }
            return Header(field: words[3], rows: numbers[0], columns: numbers[1], entries: numbers[2])
        }
        throw FormatError(.malformedText, path: path, "has a header but no size line")
    }

    private static func readFeatures(_ path: String, expected: Int) throws -> Frame {
        let reader = try LineReader(path: path)
        var ids: [String] = []
        var symbols: [String] = []
        var types: [String] = []
        var columnCount: Int?
        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            if columnCount == nil { columnCount = fields.count }
            guard fields.count == columnCount else {
                throw FormatError(.malformedText, path: path, "line \(reader.lineNumber) has \(fields.count) columns, the first line \(columnCount!)")
            }
            ids.append(fields[0])
            symbols.append(fields.count > 1 ? fields[1] : fields[0])
            if fields.count > 2 { types.append(fields[2]) }
        }
        guard ids.count == expected else {
            throw FormatError(.inconsistentShape, path: path, "lists \(ids.count) genes but the matrix has \(expected)")
        }
        var columns = [FrameColumn(name: "gene_symbols", values: .strings(symbols))]
        if !types.isEmpty { columns.append(FrameColumn(name: "feature_types", values: .strings(types))) }
        return Frame(index: ids, indexName: "gene_ids", columns: columns)
    }

    private static func readColumn(_ path: String) throws -> [String] {
        let reader = try LineReader(path: path)
        var values: [String] = []
        while let line = try reader.nextLine() {
            if line.isEmpty { continue }
            values.append(String(line.split(separator: "\t", maxSplits: 1).first ?? ""))
        }
        return values
    }

    /// The entries sorted by cell, streaming the coordinate file on first use.
    private func sorted() throws -> RowBucketStore {
        if let store { return store }
        let built = try RowBucketStore(rowCount: cellCount, columnCount: genes.rowCount, parent: scratch)
        let reader = try LineReader(path: matrixPath)
        var seenSizeLine = false
        var entries = 0
        let geneCount = genes.rowCount
        let pattern = field == "pattern"
        func take(_ line: UnsafeBufferPointer<UInt8>) throws {
            guard let first = line.first, first != UInt8(ascii: "%"), !line.isEmpty else { return }
            if !seenSizeLine {
                seenSizeLine = true
                return
            }
            guard let entry = CoordinateLine(line, pattern: pattern) else {
                throw FormatError(
                    .malformedText, path: matrixPath,
                    "line \(reader.lineNumber): expected 'gene cell value', found \"\(String(decoding: line.prefix(60), as: UTF8.self))\"")
            }
            guard entry.row >= 1, entry.row <= geneCount, entry.column >= 1, entry.column <= cellCount else {
                throw FormatError(
                    .indexOutOfRange, path: matrixPath,
                    "line \(reader.lineNumber): entry (\(entry.row), \(entry.column)) is outside the \(geneCount) × \(cellCount) matrix")
            }
            entries += 1
            try built.append(row: entry.column - 1, column: entry.row - 1, value: entry.value)
        }
        while try reader.nextLine(take) {}
        guard entries == declaredEntries else {
            throw FormatError(
                .inconsistentShape, path: matrixPath, "holds \(entries) entries but its header declares \(declaredEntries)")
        }
        try built.finish()
        store = built
        return built
    }
}
