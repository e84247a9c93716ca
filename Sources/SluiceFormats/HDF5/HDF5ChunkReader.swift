internal import CHDF5
import Foundation

/// Reads ranges of a 1-D numeric dataset, inflating gzip chunks on every core.
///
/// Debian's HDF5 serializes all calls behind one global lock, so parallel `H5Dread` calls gain
/// nothing. Instead this reader fetches each chunk's raw (still compressed) bytes with
/// `H5Dread_chunk` — cheap, it is a copy from the page cache — and then inflates the chunks
/// with libdeflate on all cores at once, undoes the shuffle filter where present, and converts
/// the stored element type to the one asked for. Datasets it cannot handle this way (contiguous,
/// other filters, big-endian data) are read with a plain hyperslab `H5Dread`; a filter this HDF5
/// build cannot decode is reported by name.
final class HDF5ChunkReader: @unchecked Sendable {
    // @unchecked: its reused buffers are touched by one thread at a time (a read-ahead worker or its owner, never both).
    let dataset: HDF5Dataset
    private let fastPath: FastPath?

    /// What the raw-chunk path needs to know about the dataset.
    private struct FastPath {
        let chunkElements: Int
        let elementBytes: Int
        let source: NumericKind
        /// Pipeline positions of the filters (deflate and shuffle only).
        let deflateIndex: Int?
        let shuffleIndex: Int?
    }

    /// Number of worker threads used for inflating.
    let threads: Int
    /// Raw (compressed) chunk bytes of the last read, kept to avoid reallocating per batch.
    private var raw = UnsafeMutableRawBufferPointer(start: nil, count: 0)

    deinit {
        if raw.count > 0 { raw.deallocate() }
    }

    init(_ dataset: HDF5Dataset, threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.dataset = dataset
        self.threads = max(1, threads)
        try dataset.requireNumeric()
        try dataset.requireRank(1)
        if let unavailable = dataset.filters.first(where: { !$0.isAvailable }) {
            throw FormatError(
                .unsupportedFilter, path: dataset.path,
                "\(dataset.name) is compressed with \(unavailable), which this HDF5 build cannot decode; re-save the file with gzip or no compression")
        }
        self.fastPath = Self.fastPath(for: dataset)
    }

    /// Whether reads use parallel raw-chunk inflation.
    var isParallel: Bool { fastPath != nil }

    private static func fastPath(for dataset: HDF5Dataset) -> FastPath? {
        guard let chunk = dataset.chunkShape, chunk.count == 1, chunk[0] > 0,
            let source = NumericKind(dataset.elementType)
        else { return nil }
        var deflateIndex: Int?
        var shuffleIndex: Int?
        for (index, filter) in dataset.filters.enumerated() {
            switch filter.id {
            case HDF5Filter.deflateID where deflateIndex == nil: deflateIndex = index
            case HDF5Filter.shuffleID where shuffleIndex == nil: shuffleIndex = index
            default: return nil
            }
        }
        // Without compression, a hyperslab H5Dread already copies straight into the output.
        guard deflateIndex != nil else { return nil }
        return FastPath(
            chunkElements: chunk[0], elementBytes: source.bytes, source: source,
            deflateIndex: deflateIndex, shuffleIndex: shuffleIndex)
    }

    /// Reads elements `range`, converted to `T`.
    func read<T: HDF5Numeric>(_ type: T.Type, range: Range<Int>) throws -> [T] {
        guard let fastPath else { return try dataset.read(T.self, range: range) }
        guard range.lowerBound >= 0, range.upperBound <= dataset.shape[0] else {
            throw FormatError(
                .invalidArgument, path: dataset.path,
                "reading elements \(range) of \(dataset.name), which has only \(dataset.shape[0])")
        }
        guard !range.isEmpty else { return [] }
        var failure: (any Error)?
        let values = [T](unsafeUninitializedCapacity: [T].batchCapacity(for: range.count)) { buffer, initialized in
            let initializedCount = range.count
            do {
                try read(range, fastPath, into: buffer)
            } catch {
                UnsafeMutableBufferPointer(rebasing: buffer[0..<initializedCount]).initialize(repeating: .zero)
                failure = error
            }
            initialized = range.count
        }
        if let failure { throw failure }
        return values
    }

    /// A chunk's raw bytes as stored in the file, and which filters were applied to it.
    private struct RawChunk {
        let index: Int
        let start: Int
        let length: Int
        let filterMask: UInt32
    }

    private func read<T: HDF5Numeric>(_ range: Range<Int>, _ path: FastPath, into output: UnsafeMutableBufferPointer<T>) throws {
        let first = range.lowerBound / path.chunkElements
        let last = (range.upperBound - 1) / path.chunkElements

        // 1. Fetch raw chunks (serialized by HDF5's lock; a memory copy for cached files) into a
        //    buffer kept between calls.
        var sizes: [Int] = []
        sizes.reserveCapacity(last - first + 1)
        for index in first...last {
            var bytes: hsize_t = 0
            let offset = [hsize_t(index * path.chunkElements)]
            try HDF5Library.call(dataset.path, "finding chunk \(index) of \(dataset.name)") {
                H5Dget_chunk_storage_size(dataset.handle.id, offset, &bytes)
            }
            sizes.append(Int(bytes))
        }
        reserveRaw(sizes.reduce(0, +))
        var rawChunks: [RawChunk] = []
        rawChunks.reserveCapacity(sizes.count)
        var cursor = 0
        for (i, index) in (first...last).enumerated() {
            var mask: UInt32 = 0
            if sizes[i] > 0 {
                let offset = [hsize_t(index * path.chunkElements)]
                try HDF5Library.call(dataset.path, "reading chunk \(index) of \(dataset.name)") {
                    H5Dread_chunk(dataset.handle.id, sluice_H5P_DEFAULT(), offset, &mask, raw.baseAddress! + cursor)
                }
            }
            rawChunks.append(RawChunk(index: index, start: cursor, length: sizes[i], filterMask: mask))
            cursor += sizes[i]
        }

        // 2. Inflate, unshuffle and convert on all cores; each worker takes every n-th chunk.
        //    A chunk that lies wholly inside the range and needs no conversion is inflated
        //    straight into the output.
        let chunks = rawChunks
        let chunkBytes = path.chunkElements * path.elementBytes
        let workers = min(threads, chunks.count)
        let failures = FailureBox()
        let shared = SharedBuffers(raw: UnsafeRawBufferPointer(raw), output: UnsafeMutableRawPointer(output.baseAddress!))
        let datasetName = dataset.name
        let filePath = dataset.path
        let sameType = path.source.isNative(T.self)
        ParallelFor.run(parts: workers) { worker in
            let decoder = DeflateDecoder()
            let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
            let unshuffled = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkBytes, alignment: 16)
            defer {
                scratch.deallocate()
                unshuffled.deallocate()
            }
            let destination = shared.output.assumingMemoryBound(to: T.self)
            for position in stride(from: worker, to: chunks.count, by: workers) {
                let chunk = chunks[position]
                let chunkStart = chunk.index * path.chunkElements
                let lower = max(range.lowerBound, chunkStart)
                let upper = min(range.upperBound, chunkStart + path.chunkElements)
                let outputOffset = lower - range.lowerBound
                if chunk.length == 0 {
                    // Never written: HDF5 would return the fill value, zero for our datasets.
                    (destination + outputOffset).initialize(repeating: .zero, count: upper - lower)
                    continue
                }
                let deflated = path.deflateIndex.map { chunk.filterMask & (1 << UInt32($0)) == 0 } ?? false
                let shuffled = path.shuffleIndex.map { chunk.filterMask & (1 << UInt32($0)) == 0 && path.elementBytes > 1 } ?? false
                var data = UnsafeRawBufferPointer(rebasing: shared.raw[chunk.start..<(chunk.start + chunk.length)])
                if deflated {
                    let whole = lower == chunkStart && upper == chunkStart + path.chunkElements
                    let direct = whole && sameType && !shuffled
                    let target =
                        direct
                        ? UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(destination + outputOffset), count: chunkBytes)
                        : scratch
                    do {
                        try decoder.inflateZlib(data, into: target)
                    } catch {
                        failures.record(
                            FormatError(.corruptData, path: filePath, "chunk \(chunk.index) of \(datasetName) does not decompress: \(error)"))
                        return
                    }
                    if direct { continue }
                    data = UnsafeRawBufferPointer(scratch)
                }
                guard data.count >= (upper - chunkStart) * path.elementBytes else {
                    failures.record(
                        FormatError(
                            .corruptData, path: filePath,
                            "chunk \(chunk.index) of \(datasetName) holds \(data.count) bytes, fewer than its \(chunkBytes)"))
                    return
                }
                if shuffled {
                    Self.unshuffle(data, elementBytes: path.elementBytes, count: path.chunkElements, into: unshuffled)
                    data = UnsafeRawBufferPointer(unshuffled)
                }
                let source = data.baseAddress! + (lower - chunkStart) * path.elementBytes
                path.source.convert(source, count: upper - lower, into: destination + outputOffset)
            }
        }
        if let error = failures.first { throw error }
    }

    /// Makes the raw-chunk buffer (kept between reads) hold at least `bytes`; its old contents
    /// are not needed. Grows by an eighth beyond the request, since batches vary a little.
    private func reserveRaw(_ bytes: Int) {
        guard bytes > raw.count else { return }
        if raw.count > 0 { raw.deallocate() }
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes + bytes / 8, alignment: 16)
    }

    /// Undoes HDF5's shuffle filter: byte `b` of element `i` is stored at `b * count + i`.
    private static func unshuffle(
        _ input: UnsafeRawBufferPointer, elementBytes: Int, count: Int, into output: UnsafeMutableRawBufferPointer
    ) {
        let src = input.bindMemory(to: UInt8.self)
        let dst = output.bindMemory(to: UInt8.self)
        for byte in 0..<elementBytes {
            let plane = byte * count
            for i in 0..<count { dst[i * elementBytes + byte] = src[plane + i] }
        }
        // HDF5 leaves a trailing remainder (bytes beyond count * elementBytes) unshuffled; none here
        // because chunk buffers are exactly count * elementBytes long.
    }
}

/// Pointers shared read-only (raw) or written at disjoint offsets (output) by the workers.
private struct SharedBuffers: @unchecked Sendable {
    // @unchecked: raw pointers; the workers only read `raw` and write disjoint ranges of `output`.
    let raw: UnsafeRawBufferPointer
    let output: UnsafeMutableRawPointer
}
