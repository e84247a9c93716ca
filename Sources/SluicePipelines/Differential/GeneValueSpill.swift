import Foundation
import SluiceFormats

/// The values a Wilcoxon run's first pass has stored so far, kept on disk beside its checkpoint
/// so that a stopped run need not read those chunks of cells again: per chunk, the chunk's
/// non-zero values of the genes the pass collected then, as a sparse block (its rows' offsets,
/// genes and values), one chunk after the other. A checkpoint records how many bytes count; a
/// resumed run cuts the file back to them and replays the chunks into a fresh store, which then
/// holds what the stopped run's store held (the same values, dropped genes and all).
///
/// Each chunk is `rows`, `values`, `columns` (UInt64 each), then `rows + 1` offsets (Int64),
/// `values` genes (Int32) and `values` values (Float), in the machine's layout: read back by the
/// same build on the same machine kind, as checkpoints are. 8 bytes a stored value.
final class GeneValueSpill {
    let path: String
    /// Bytes written: what a checkpoint records.
    private(set) var byteCount: Int64
    private let handle: FileHandle

    /// Opens (or creates) the spill at `path`, cut back to its first `bytes` bytes.
    init(path: String, keepingBytes bytes: Int64) throws {
        self.path = path
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        guard let handle = FileHandle(forUpdatingAtPath: path) else {
            throw AnalysisError(code: "differential.checkpoint", "cannot open \(path), the stored values of the checkpoint's first pass")
        }
        self.handle = handle
        guard try handle.seekToEnd() >= UInt64(bytes) else {
            throw AnalysisError(code: "differential.checkpoint", "\(path) holds fewer values than its checkpoint; delete the checkpoint to start afresh")
        }
        try handle.truncate(atOffset: UInt64(bytes))
        try handle.seek(toOffset: UInt64(bytes))
        byteCount = bytes
    }

    deinit { try? handle.close() }

    /// The bytes a chunk of `rows` rows and `values` stored values takes.
    static func bytes(rows: Int, values: Int) -> Int64 { Int64(24 + 8 * (rows + 1) + 8 * values) }

    /// `matrix` without its zeros and the genes outside `genes` (those a store ignores).
    static func kept(_ matrix: SparseRows, genes: Range<Int>) -> SparseRows {
        var offsets: [Int64] = [0]
        var columns: [Int32] = []
        var values: [Float] = []
        offsets.reserveCapacity(matrix.rowCount + 1)
        columns.reserveCapacity(matrix.values.count)
        values.reserveCapacity(matrix.values.count)
        for row in 0..<matrix.rowCount {
            for entry in Int(matrix.offsets[row])..<Int(matrix.offsets[row + 1])
            where matrix.values[entry] != 0 && genes.contains(Int(matrix.columns[entry])) {
                columns.append(matrix.columns[entry])
                values.append(matrix.values[entry])
            }
            offsets.append(Int64(values.count))
        }
        return SparseRows(offsets: offsets, columns: columns, values: values, columnCount: matrix.columnCount)
    }

    /// Appends a chunk (after the chunks before it).
    func append(_ block: SparseRows) throws {
        var data = Data(capacity: Int(Self.bytes(rows: block.rowCount, values: block.values.count)))
        for count in [block.rowCount, block.values.count, block.columnCount] { withUnsafeBytes(of: UInt64(count)) { data.append(contentsOf: $0) } }
        block.offsets.withUnsafeBytes { data.append(contentsOf: $0) }
        block.columns.withUnsafeBytes { data.append(contentsOf: $0) }
        block.values.withUnsafeBytes { data.append(contentsOf: $0) }
        try handle.write(contentsOf: data)
        byteCount += Int64(data.count)
    }

    /// Makes what was appended durable (before a checkpoint counts it).
    func sync() throws { try handle.synchronize() }

    /// Reads the chunks from the start, handing each to `body` in order; returns how many there were.
    @discardableResult
    func replay(_ body: (SparseRows) throws -> Void) throws -> Int {
        try handle.seek(toOffset: 0)
        defer { _ = try? handle.seekToEnd() }
        var position: Int64 = 0
        var chunks = 0
        func read(_ count: Int) throws -> Data {
            guard let data = try handle.read(upToCount: count), data.count == count else {
                throw AnalysisError(code: "differential.checkpoint", "\(path) ends inside a chunk; delete the checkpoint to start afresh")
            }
            position += Int64(count)
            return data
        }
        func array<T: BitwiseCopyable>(_ count: Int, of type: T.Type) throws -> [T] {
            let data = count == 0 ? Data() : try read(count * MemoryLayout<T>.stride)
            return [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                _ = data.copyBytes(to: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
        while position < byteCount {
            let header = try array(3, of: UInt64.self).map { Int(truncatingIfNeeded: $0) }
            let (rows, values) = (header[0], header[1])
            guard rows >= 0, values >= 0, rows < Int(byteCount), values < Int(byteCount), Self.bytes(rows: rows, values: values) <= byteCount - position + 24 else {
                throw AnalysisError(code: "differential.checkpoint", "\(path) holds a damaged chunk; delete the checkpoint to start afresh")
            }
            let offsets = try array(rows + 1, of: Int64.self)
            guard offsets.first == 0, offsets.last == Int64(values) else {
                throw AnalysisError(code: "differential.checkpoint", "\(path) holds a damaged chunk; delete the checkpoint to start afresh")
            }
            let columns = try array(values, of: Int32.self)
            try body(SparseRows(offsets: offsets, columns: columns, values: try array(values, of: Float.self), columnCount: header[2]))
            chunks += 1
        }
        return chunks
    }
}
