import Foundation
import SluiceFormats

/// The values a Wilcoxon run's first pass has stored so far, kept on disk beside its checkpoint
/// so that a stopped run need not read those chunks of cells again. Started when the pass's
/// first checkpoint falls due (a run that ends sooner writes nothing): an image of the store then
/// (its ``GeneValueStore/Layout`` and keys: what it held after the chunks read), followed by each later
/// chunk's non-zero values of the genes the pass still collects, as a sparse block. A checkpoint
/// records how many bytes count; a resumed run cuts the file back to them, restores the image
/// and replays the chunks into its store, which then holds what the stopped run's store held
/// (the same values, dropped genes and all).
///
/// Records, in the machine's layout (read back by the same build on the same machine kind, as
/// checkpoints are): an image is 1, the chunks it covers, the store's limit, its genes and keys
/// (UInt64 each), then per gene its key count and capacity (Int64) and the keys (UInt64); a
/// chunk is 0, rows, values, columns (UInt64 each), then `rows + 1` offsets (Int64), `values`
/// genes (Int32) and `values` values (Float). 8 bytes a stored value.
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
    static func bytes(rows: Int, values: Int) -> Int64 { Int64(32 + 8 * (rows + 1) + 8 * values) }

    /// The bytes an image of a store of `genes` collected genes and `keys` keys takes.
    static func bytes(imageOf genes: Int, keys: Int) -> Int64 { Int64(40 + 16 * genes + 8 * keys) }

    private enum Kind: UInt64 {
        case chunk = 0
        case image = 1
    }

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

    /// Appends the image of `store`, which has read `chunks` chunks: the first record. The keys
    /// go from the store's buffers to the file a few MiB at a time, never copied whole.
    func appendImage(of store: GeneValueStore, chunks: Int) throws {
        let layout = store.layout
        var data = Data()
        for field in [Kind.image.rawValue, UInt64(chunks), UInt64(layout.limit), UInt64(layout.counts.count), UInt64(store.storedCount)] {
            withUnsafeBytes(of: field) { data.append(contentsOf: $0) }
        }
        layout.counts.map(Int64.init).withUnsafeBytes { data.append(contentsOf: $0) }
        layout.capacities.map(Int64.init).withUnsafeBytes { data.append(contentsOf: $0) }
        for index in layout.counts.indices {
            data.append(UnsafeBufferPointer(store.column(index)))
            if data.count >= 1 << 23 {
                try handle.write(contentsOf: data)
                data.removeAll(keepingCapacity: true)
            }
        }
        try handle.write(contentsOf: data)
        byteCount += Self.bytes(imageOf: layout.counts.count, keys: store.storedCount)
    }

    /// Appends a chunk (after the image and the chunks before it).
    func append(_ block: SparseRows) throws {
        var data = Data(capacity: Int(Self.bytes(rows: block.rowCount, values: block.values.count)))
        for field in [Kind.chunk.rawValue, UInt64(block.rowCount), UInt64(block.values.count), UInt64(block.columnCount)] {
            withUnsafeBytes(of: field) { data.append(contentsOf: $0) }
        }
        block.offsets.withUnsafeBytes { data.append(contentsOf: $0) }
        block.columns.withUnsafeBytes { data.append(contentsOf: $0) }
        block.values.withUnsafeBytes { data.append(contentsOf: $0) }
        try handle.write(contentsOf: data)
        byteCount += Int64(data.count)
    }

    /// Makes what was appended durable (before a checkpoint counts it).
    func sync() throws { try handle.synchronize() }

    /// Reads the records from the start: restores the image into `store` (an empty store of the
    /// same genes) after telling `restoring` the chunks it covers, then hands each chunk to
    /// `chunk`, in order.
    func replay(into store: GeneValueStore, restoring: (_ chunks: Int) throws -> Void, chunk: (SparseRows) throws -> Void) throws {
        try handle.seek(toOffset: 0)
        defer { _ = try? handle.seekToEnd() }
        var position: Int64 = 0
        func damaged() -> AnalysisError {
            AnalysisError(code: "differential.checkpoint", "\(path) holds a damaged record; delete the checkpoint to start afresh")
        }
        /// Fills `buffer` with the next bytes.
        func read(into buffer: UnsafeMutableRawBufferPointer) throws {
            guard buffer.count > 0 else { return }
            guard let data = try handle.read(upToCount: buffer.count), data.count == buffer.count else {
                throw AnalysisError(code: "differential.checkpoint", "\(path) ends inside a record; delete the checkpoint to start afresh")
            }
            _ = data.copyBytes(to: buffer)
            position += Int64(buffer.count)
        }
        func array<T: BitwiseCopyable>(_ count: Int, of type: T.Type) throws -> [T] {
            guard count >= 0, Int64(count) <= (byteCount - position) / Int64(MemoryLayout<T>.stride) else { throw damaged() }
            return try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                try read(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            }
        }
        func field() throws -> Int {
            guard let value = Int(exactly: try array(1, of: UInt64.self)[0]) else { throw damaged() }
            return value
        }
        while position < byteCount {
            switch Kind(rawValue: try array(1, of: UInt64.self)[0]) {
            case .image where position == 8:
                let (chunks, limit, genes, keys) = (try field(), try field(), try field(), try field())
                let counts = try array(genes, of: Int64.self).map(Int.init)
                let capacities = try array(genes, of: Int64.self).map(Int.init)
                guard counts.allSatisfy({ $0 >= 0 }), counts.reduce(0, +) == keys, Int64(keys) <= (byteCount - position) / 8 else { throw damaged() }
                try restoring(chunks)
                try store.restore(GeneValueStore.Layout(limit: limit, counts: counts, capacities: capacities)) { buffer in
                    try read(into: UnsafeMutableRawBufferPointer(buffer))
                }
            case .chunk where position > 8:
                let (rows, values, columns) = (try field(), try field(), try field())
                guard rows < byteCount else { throw damaged() }
                let offsets = try array(rows + 1, of: Int64.self)
                guard offsets.first == 0, offsets.last == Int64(values) else { throw damaged() }
                let genes = try array(values, of: Int32.self)
                try chunk(SparseRows(offsets: offsets, columns: genes, values: try array(values, of: Float.self), columnCount: columns))
            default:
                throw damaged()
            }
        }
    }
}
