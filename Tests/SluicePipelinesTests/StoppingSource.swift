import SluiceFormats

/// A cell source that fails when a read meets its stop condition — a crash in the middle of a
/// pass — and records the cells it was asked for.
final class StoppingSource: CellSource, @unchecked Sendable {
    struct Stopped: Error {}
    let base: any CellSource
    /// Whether to fail instead of reading `cells`, given the reads done so far.
    let stops: (_ cells: Range<Int>, _ readsDone: Int) -> Bool
    private(set) var reads: [Range<Int>] = []

    init(_ base: any CellSource, stops: @escaping (_ cells: Range<Int>, _ readsDone: Int) -> Bool) {
        self.base = base
        self.stops = stops
    }

    /// Fails the first read that goes past cell `stopAtCell` (never, when nil).
    convenience init(_ base: any CellSource, stopAtCell: Int?) {
        self.init(base) { cells, _ in stopAtCell.map { cells.upperBound > $0 } ?? false }
    }

    var path: String { base.path }
    var format: FileFormat { base.format }
    var cellCount: Int { base.cellCount }
    var genes: Frame { base.genes }
    var matrixInfo: MatrixInfo { base.matrixInfo }
    var cellMetadataSchema: [FrameColumn.Schema] { base.cellMetadataSchema }

    /// Metadata alone is not a read of the matrix: not counted, never stopped.
    func readCellMetadata(cells: Range<Int>) throws -> Frame { try base.readCellMetadata(cells: cells) }

    func read(cells: Range<Int>) throws -> CellBatch {
        if stops(cells, reads.count) { throw Stopped() }
        reads.append(cells)
        return try base.read(cells: cells)
    }
}
