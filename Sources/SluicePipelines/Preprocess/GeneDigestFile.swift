import Foundation
import SluiceEngine
public import SluiceFormats
public import SluiceKernels

/// A ``SluiceKernels/MedianDigest`` keyed by gene id, as a file: one dataset's contribution to
/// corpus-wide medians (`sluice preprocess digest`), or the merge of many (`merge-digests`).
///
/// Layout (little-endian): `SLUICE-DIGEST-2\n`, the relative error (float64), the gene count
/// (uint32), then per gene in code-point order of its id: the id's UTF-8 length (uint32) and
/// bytes, its bucket count (uint32), its first bucket's index (int32), and per bucket in index
/// order the step from the bucket before (0 for the first) and the count, each a LEB128
/// varint — about 3 bytes a bucket, where (int32, uint32) pairs took 8; the same bytes for the
/// same values whatever order they came in.
public struct GeneDigestFile: Sendable, Hashable {
    public var genes: [String]
    public var digest: MedianDigest

    public init(genes: [String], digest: MedianDigest) {
        self.genes = genes
        self.digest = digest
    }

    private static let magic = Data("SLUICE-DIGEST-2\n".utf8)
    /// The most buckets one gene's values may span: every positive double, at the smallest
    /// relative error `digest` allows (0.0001).
    private static let widestSpan: Int64 = 8_000_000

    /// The merge of the digest files at `paths` (at least one, all of one relative error), read
    /// one at a time: every gene of any of them.
    public static func merged(paths: [String]) throws -> GeneDigestFile {
        guard let first = paths.first else { throw PreprocessError(code: "no-digests", message: "no digests to merge") }
        var merged = try GeneDigestFile(contentsOf: first)
        for path in paths.dropFirst() { try merged.merge(GeneDigestFile(contentsOf: path)) }
        return merged
    }

    /// Adds `other`'s values (a digest of the same relative error): its genes not here yet come
    /// after this one's.
    public mutating func merge(_ other: GeneDigestFile) throws {
        guard other.digest.relativeError == digest.relativeError else {
            throw PreprocessError(
                code: "digest-mismatch", message: "digests of relative errors \(digest.relativeError) and \(other.digest.relativeError) cannot be merged")
        }
        var position = Dictionary(uniqueKeysWithValues: genes.enumerated().map { ($1, $0) })
        for gene in other.genes where position[gene] == nil {
            position[gene] = genes.count
            genes.append(gene)
        }
        digest.grow(to: genes.count)
        for (index, gene) in other.genes.enumerated() { digest.merge(other.digest, gene: index, into: position[gene]!) }
    }

    /// Each gene's median (genes without values have none).
    public func medians() -> [String: Double] {
        var medians: [String: Double] = [:]
        for (index, gene) in genes.enumerated() { medians[gene] = digest.median(gene: index) }
        return medians
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        var bytes = [UInt8](Self.magic)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) } }
        func putVarint(_ value: UInt64) {
            var value = value
            while value >= 0x80 {
                bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
                value >>= 7
            }
            bytes.append(UInt8(value))
        }
        put(digest.relativeError.bitPattern)
        put(UInt32(genes.count))
        let order = genes.indices.sorted { genes[$0].unicodeScalars.lexicographicallyPrecedes(genes[$1].unicodeScalars) }
        for index in order {
            let id = Array(genes[index].utf8)
            put(UInt32(id.count))
            bytes += id
            let buckets = digest.buckets(gene: index)
            put(UInt32(buckets.count))
            put(buckets.first?.index ?? 0)
            var previous = buckets.first?.index ?? 0
            for (bucket, count) in buckets {
                putVarint(UInt64(bucket - previous))
                putVarint(UInt64(count))
                previous = bucket
            }
        }
        try AtomicCommit.write(Data(bytes), to: path)
    }

    /// Reads a file ``write(to:)`` wrote.
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw FormatError(.fileNotFound, path: path, "cannot be read (a median digest)") }
        guard data.starts(with: Self.magic) else { throw FormatError(.unknownFormat, path: path, "is not a median digest (sluice preprocess digest writes them)") }
        var offset = data.startIndex + Self.magic.count
        func take<T: FixedWidthInteger>(_: T.Type) throws -> T {
            guard offset + MemoryLayout<T>.size <= data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
            var value = T.zero
            withUnsafeMutableBytes(of: &value) { $0.copyBytes(from: data[offset..<offset + MemoryLayout<T>.size]) }
            offset += MemoryLayout<T>.size
            return T(littleEndian: value)
        }
        func varint() throws -> UInt64 {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard offset < data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
                let byte = data[offset]
                offset += 1
                value |= UInt64(byte & 0x7f) << shift
                if byte < 0x80 { return value }
            }
            throw FormatError(.corruptData, path: path, "holds a number longer than 64 bits (a median digest)")
        }
        let relativeError = Double(bitPattern: try take(UInt64.self))
        guard relativeError > 0, relativeError < 1 else { throw FormatError(.corruptData, path: path, "gives the relative error \(relativeError) (a median digest)") }
        var genes: [String] = []
        var buckets: [[(index: Int32, count: UInt32)]] = []
        for _ in 0..<(try take(UInt32.self)) {
            let length = Int(try take(UInt32.self))
            guard offset + length <= data.endIndex else { throw FormatError(.corruptData, path: path, "ends early (a median digest)") }
            genes.append(String(decoding: data[offset..<offset + length], as: UTF8.self))
            offset += length
            var gene: [(index: Int32, count: UInt32)] = []
            let bucketCount = try take(UInt32.self)
            let lowest = Int64(try take(Int32.self))
            var bucket = lowest
            for position in 0..<bucketCount {
                let step = try varint()
                // Buckets ascend, and span what positive doubles can (a few million at most).
                guard position == 0 ? step == 0 : step > 0, step <= UInt64(Self.widestSpan), bucket + Int64(step) - lowest <= Self.widestSpan else {
                    throw FormatError(.corruptData, path: path, "holds buckets out of order or spread too wide (a median digest)")
                }
                bucket += Int64(step)
                let count = try varint()
                guard count > 0, count <= UInt64(UInt32.max) else { throw FormatError(.corruptData, path: path, "holds a count of \(count) (a median digest)") }
                gene.append((Int32(bucket), UInt32(count)))
            }
            buckets.append(gene)
        }
        self.init(genes: genes, digest: MedianDigest(buckets: buckets, relativeError: relativeError))
    }
}
