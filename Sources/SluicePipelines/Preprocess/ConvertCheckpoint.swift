import Foundation
import SluiceFormats

/// Where ``DatasetConverter`` records its progress inside a pass, so that a run stopped at any
/// moment — a job's time limit, a preemption, `kill -9` — resumes from its last checkpoint
/// rather than from the start, on any machine that sees the folder, and writes the same bytes
/// an undisturbed run writes.
///
/// Two files in ``folder``, each written atomically and durably (``StateArchive``):
/// - `<name>.cells.state`: each cell's metrics and filter verdict (21 bytes a cell), written once
///   when the first pass ends;
/// - `<name>.convert.state`: the pass and the batches of it done, the median estimator's
///   counters (or, in the token pass, the medians), and the state of whoever takes the chunks
///   (the shards written so far) — in the first pass also the metrics of the cells done.
///
/// A checkpoint is written at most every ``interval``, always after a whole batch (and in the
/// token pass after its chunk has been handed on and its files closed), and at each pass's end.
/// A saved state whose ``fingerprint`` differs (another input or other settings) is ignored.
public struct ConvertCheckpoint: Sendable {
    /// The folder of the state files (created when needed).
    public var folder: String
    /// The dataset's name, which names the files.
    public var name: String
    /// Wall time between two checkpoints inside a pass.
    public var interval: Duration
    /// What must match for a saved state to be resumed: the input and every setting that changes
    /// the output (``DatasetConverter`` adds the cell count, batch size and token slots).
    public var fingerprint: String

    public init(folder: String, name: String, interval: Duration, fingerprint: String) {
        self.folder = folder
        self.name = name
        self.interval = interval
        self.fingerprint = fingerprint
    }

    /// Where the run stood at a checkpoint.
    public struct Position: Sendable, Codable, Hashable {
        /// Passes over the cells finished before this one (0 in the first pass).
        public var pass: Int
        /// Whether this is the token pass (after every median pass).
        public var tokens: Bool
        /// Batches of this pass done.
        public var batches: Int
        /// Cells of this pass done.
        public var cells: Int
    }

    /// The converter's scalars at a checkpoint (the arrays are sections of the archive).
    struct Scalars: Codable {
        var fingerprint: String
        var position: Position
        var filledColumns: [String]
        var nonIntegerValues: Int
        var passSeconds: [Double]
        var chunkCount: Int
        var totalLength: Int
        var keptCells: Int
        var files: [String]
        /// The chunk taker's own state (``DatasetConverter/ChunkSink/state``), opaque here.
        var sinkState: Data?
    }

    var convertFile: String { folder + "/" + name + ".convert.state" }
    var cellsFile: String { folder + "/" + name + ".cells.state" }

    /// Removes the state files (the dataset is done), and the folder when that leaves it empty.
    public func remove() {
        for file in [convertFile, cellsFile, AtomicCommit.partialPath(of: convertFile), AtomicCommit.partialPath(of: cellsFile)] {
            try? FileManager.default.removeItem(atPath: file)
        }
        try? FileManager.default.removeItem(atPath: folder)  // only when empty
    }

    /// The most bytes the state files take at once for a dataset of `cells` × `genes` with
    /// `storedValues` non-zeros: the cells' metrics (21 bytes a cell) in the cells file and in
    /// the first pass's archive, that archive twice (its next version is written beside it), and
    /// in it the estimator: 640 counters a gene, or the values it collects (8 bytes each, at most
    /// `valueBudget` of them and never more than the stored values).
    public static func peakBytes(cells: Int, genes: Int, storedValues: Int, valueBudget: Int) -> Int64 {
        let collected = Int64(min(valueBudget, storedValues)) * 8
        let estimator = max(Int64(genes) * 2_600, collected + Int64(genes) * 64)
        return 2 * (Int64(cells) * 21 + estimator) + Int64(cells) * 21 + (1 << 20)
    }

    func ensureFolder() throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
}
