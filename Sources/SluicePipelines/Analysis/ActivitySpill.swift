import Foundation
public import SluiceKernels

/// The single-cell activity results of the cells done so far, kept on disk beside a checkpoint
/// so that a stopped run need not compute them again: per chunk of cells its β, se, z and p, as
/// float32 (what `activity.h5ad` stores), one chunk after the other. Cell c's values start at byte
/// `16 × signatures × c`, so a checkpoint needs only the number of cells done, and a resumed run
/// cuts the file back to it.
public final class ActivitySpill {
    public let path: String
    /// Signatures (rows) of every result.
    public let signatures: Int
    private let handle: FileHandle

    /// Opens (or creates) the spill at `path`, cut back to the first `cells` cells.
    public init(path: String, signatures: Int, keepingCells cells: Int) throws {
        self.path = path
        self.signatures = signatures
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw AnalysisError(code: "activity.checkpoint", "cannot open the spill \(path) of single-cell activity")
        }
        self.handle = handle
        let kept = UInt64(Self.bytes(cells: cells, signatures: signatures))
        guard try handle.seekToEnd() >= kept else {
            throw AnalysisError(code: "activity.checkpoint", "the spill \(path) holds fewer cells than its checkpoint; delete the checkpoint to start afresh")
        }
        try handle.truncate(atOffset: kept)
        try handle.seek(toOffset: kept)
    }

    deinit { try? handle.close() }

    /// Bytes the results of `cells` cells take.
    public static func bytes(cells: Int, signatures: Int) -> Int64 { Int64(cells) * Int64(signatures) * 16 }

    /// Appends a chunk's results (after the chunks before it).
    public func append(_ result: ActivityResult) throws {
        precondition(result.signatures == signatures, "a result of \(result.signatures) signatures in a spill of \(signatures)")
        var values = [Float]()
        values.reserveCapacity(4 * result.beta.count)
        for part in [result.beta, result.se, result.zscore, result.pvalue] { values += part.map { Float($0) } }
        try handle.write(contentsOf: values.withUnsafeBytes { Data($0) })
    }

    /// Makes what was appended durable (before a checkpoint counts it).
    public func sync() throws { try handle.synchronize() }

    /// The results of `cells`, a chunk appended whole, as the chunk's result had them (to float32).
    public func read(cells: Range<Int>) throws -> ActivityResult {
        let count = signatures * cells.count
        try handle.seek(toOffset: UInt64(Self.bytes(cells: cells.lowerBound, signatures: signatures)))
        guard let data = try handle.read(upToCount: 16 * count), data.count == 16 * count else {
            throw AnalysisError(code: "activity.checkpoint", "the spill \(path) ends before cell \(cells.upperBound)")
        }
        let values = [Float](unsafeUninitializedCapacity: 4 * count) { buffer, initialized in
            _ = data.copyBytes(to: buffer)
            initialized = 4 * count
        }
        var result = ActivityResult(signatures: signatures, samples: cells.count)
        result.beta = values[0..<count].map(Double.init)
        result.se = values[count..<(2 * count)].map(Double.init)
        result.zscore = values[(2 * count)..<(3 * count)].map(Double.init)
        result.pvalue = values[(3 * count)..<(4 * count)].map(Double.init)
        return result
    }
}
