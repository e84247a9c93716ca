/// A file of cells × genes that can be read a range of cells at a time.
///
/// Implemented by the h5ad, 10x HDF5, Matrix Market and Loom readers. Memory is bounded by the
/// range asked for, never by the file: gene metadata is held up front (it is small), cell metadata
/// and counts are read per range.
public protocol CellSource: AnyObject {
    /// The file (or directory, for Matrix Market) being read.
    var path: String { get }
    /// The detected format.
    var format: FileFormat { get }
    /// Number of cells (rows).
    var cellCount: Int { get }
    /// Gene metadata, one row per gene (column of the matrix).
    var genes: Frame { get }
    /// How the counts are stored.
    var matrixInfo: MatrixInfo { get }
    /// The cell metadata columns every batch carries.
    var cellMetadataSchema: [FrameColumn.Schema] { get }
    /// Reads cells `cells` (a subrange of `0..<cellCount`).
    func read(cells: Range<Int>) throws -> CellBatch
    /// The metadata rows of `cells` alone. Formats that keep them apart from the counts (h5ad)
    /// read only those; the others read the whole batch.
    func readCellMetadata(cells: Range<Int>) throws -> Frame
}

extension CellSource {
    /// Reads the whole batch and keeps only its metadata rows.
    public func readCellMetadata(cells: Range<Int>) throws -> Frame {
        try read(cells: cells).obs
    }

    /// Number of genes (columns).
    public var geneCount: Int { genes.rowCount }

    /// The cell ranges of consecutive batches of at most `size` cells.
    public func batchRanges(size: Int) -> [Range<Int>] {
        precondition(size > 0, "batch size must be positive")
        return stride(from: 0, to: cellCount, by: size).map { $0..<min($0 + size, cellCount) }
    }

    /// Checks that `cells` lies within the source.
    func validate(cells: Range<Int>) throws {
        guard cells.lowerBound >= 0, cells.upperBound <= cellCount else {
            throw FormatError(.invalidArgument, path: path, "cells \(cells) are outside the file's \(cellCount) cells")
        }
    }
}
