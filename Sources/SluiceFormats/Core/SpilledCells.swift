/// A dataset read back from a ``SparseRowsSpill`` of its counts, batch by batch as they were
/// spilled, with each batch's metadata from the dataset's own source when ``includesMetadata``
/// is set (otherwise batches carry an empty metadata frame).
public final class SpilledCells: CellSource {
    /// The dataset the counts were spilled from, read again for metadata.
    public let source: any CellSource
    /// The spill holding the counts, one batch per cell range.
    public let spill: SparseRowsSpill
    /// Whether batches carry their cells' metadata rows (read from `source`).
    public var includesMetadata: Bool
    /// The spilled batch holding each cell range, by its first cell.
    private let batchOf: [Int: (range: Range<Int>, batch: Int)]

    /// `ranges[i]` are the cells of spilled batch `i`.
    public init(source: any CellSource, spill: SparseRowsSpill, ranges: [Range<Int>], includesMetadata: Bool) {
        precondition(ranges.count == spill.batchCount, "one cell range per spilled batch")
        self.source = source
        self.spill = spill
        self.includesMetadata = includesMetadata
        batchOf = Dictionary(uniqueKeysWithValues: ranges.enumerated().map { ($1.lowerBound, ($1, $0)) })
    }

    /// The source's path.
    public var path: String { source.path }
    /// The source's format.
    public var format: FileFormat { source.format }
    /// The source's cell count.
    public var cellCount: Int { source.cellCount }
    /// The source's gene metadata.
    public var genes: Frame { source.genes }
    /// How the source stores its counts.
    public var matrixInfo: MatrixInfo { source.matrixInfo }
    /// The source's cell metadata columns.
    public var cellMetadataSchema: [FrameColumn.Schema] { source.cellMetadataSchema }

    /// Reads a range that was spilled as one batch.
    public func read(cells range: Range<Int>) throws -> CellBatch {
        guard let (spilled, batch) = batchOf[range.lowerBound], spilled == range else {
            throw FormatError(.invalidArgument, path: spill.path, "cells \(range) were not spilled as one batch")
        }
        let matrix = try spill.read(batch: batch)
        let obs = includesMetadata ? try source.readCellMetadata(cells: range) : Frame(index: [])
        return CellBatch(cells: range, matrix: matrix, obs: obs)
    }

    /// The metadata rows of `range`, read from the source whether or not ``includesMetadata`` is set.
    public func readCellMetadata(cells range: Range<Int>) throws -> Frame {
        try source.readCellMetadata(cells: range)
    }
}
