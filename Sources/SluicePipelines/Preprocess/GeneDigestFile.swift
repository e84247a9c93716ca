import Foundation
import SluiceEngine
public import SluiceFormats
public import SluiceKernels

/// A ``SluiceKernels/MedianDigest`` keyed by gene id, as a file: one dataset's contribution to
/// corpus-wide medians (`sluice preprocess digest`), or the merge of many (`merge-digests`).
///
/// Layout (little-endian): `SLUICE-DIGEST-1\n`, the relative error (float64), the gene count
/// (uint32), then per gene in code-point order of its id: the id's UTF-8 length (uint32) and
/// bytes, its bucket count (uint32), and (index int32, count uint32) pairs in index order — the
/// same bytes for the same values whatever order they came in.
public struct GeneDigestFile: Sendable, Hashable {
    public var genes: [String]
    public var digest: MedianDigest

    public init(genes: [String], digest: MedianDigest) {
        self.genes = genes
        self.digest = digest
    }

    private static let magic = Data("SLUICE-DIGEST-1\n".utf8)
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
        put(digest.relativeError.bitPattern)
        put(UInt32(genes.count))
        let order = genes.indices.sorted { genes[$0].unicodeScalars.lexicographicallyPrecedes(genes[$1].unicodeScalars) }
        for index in order {
            let id = Array(genes[index].utf8)
            put(UInt32(id.count))
            bytes += id
            let buckets = digest.buckets(gene: index)
            put(UInt32(buckets.count))
            for (bucket, count) in buckets {
                put(bucket)
                put(count)
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
            for _ in 0..<(try take(UInt32.self)) {
                let bucket = try take(Int32.self)
                // Buckets ascend, and span what positive doubles can (a few million at most).
                if let lowest = gene.first?.index, bucket <= gene.last!.index || Int64(bucket) - Int64(lowest) > Self.widestSpan {
                    throw FormatError(.corruptData, path: path, "holds buckets out of order or spread too wide (a median digest)")
                }
                gene.append((bucket, try take(UInt32.self)))
            }
            buckets.append(gene)
        }
        self.init(genes: genes, digest: MedianDigest(buckets: buckets, relativeError: relativeError))
    }
}
