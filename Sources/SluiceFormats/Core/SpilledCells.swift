/// A dataset read back from a ``SparseRowsSpill`` of its counts, batch by batch as they were
/// spilled, with each batch's metadata from the dataset's own source when ``includesMetadata``
/// is set (otherwise batches carry an empty metadata frame).
public final class SpilledCells: CellSource {
    public let source: any CellSource
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

    public var path: String { source.path }
    public var format: FileFormat { source.format }
    public var cellCount: Int { source.cellCount }
    public var genes: Frame { source.genes }
    public var matrixInfo: MatrixInfo { source.matrixInfo }
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

    public func readCellMetadata(cells range: Range<Int>) throws -> Frame {
        try source.readCellMetadata(cells: range)
    }
}
