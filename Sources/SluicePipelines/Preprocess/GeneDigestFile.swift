import Foundation
import SluiceEngine
import SluiceFormats
public import SluiceKernels

/// A ``SluiceKernels/MedianDigest`` keyed by gene id, as a file: one dataset's contribution to
/// corpus-wide medians (`sluice preprocess digest`), or the merge of many (`merge-digests`).
/// Merges and medians stream through the files a gene at a time (their genes are in one order),
/// so a corpus's merged digest is never held whole in memory.
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

    /// Writes the merge of the digest files at `paths` (at least one, all of one relative error)
    /// to `path`: every gene of any of them, its counts summed.
    public static func merge(paths: [String], to path: String) throws {
        var writer: GeneDigestWriter?
        let relativeError = try forEachMergedGene(paths: paths) { relativeError, id, buckets in
            if writer == nil { writer = GeneDigestWriter(relativeError: relativeError) }
            writer!.append(id: id, buckets: buckets)
        }
        var result = writer ?? GeneDigestWriter(relativeError: relativeError)
        try result.commit(to: path)
    }

    /// Each gene's median over the merge of the digest files at `paths` (genes without values
    /// have none), and their relative error.
    public static func medians(of paths: [String]) throws -> (medians: [String: Double], relativeError: Double) {
        var medians: [String: Double] = [:]
        let relativeError = try forEachMergedGene(paths: paths) { relativeError, id, buckets in
            medians[id] = MedianDigest(buckets: [buckets], relativeError: relativeError).median(gene: 0)
        }
        return (medians, relativeError)
    }

    /// Hands `body` every gene of the files at `paths` in ascending order of its id, with its
    /// buckets summed over the files that hold it; returns the files' relative error.
    private static func forEachMergedGene(
        paths: [String], _ body: (Double, String, [(index: Int32, count: UInt32)]) throws -> Void
    ) throws -> Double {
        guard !paths.isEmpty else { throw PreprocessError(code: "no-digests", message: "no digests to merge") }
        var readers = try paths.map { try GeneDigestReader(path: $0) }
        let relativeError = readers[0].relativeError
        if let other = readers.first(where: { $0.relativeError != relativeError }) {
            throw PreprocessError(
                code: "digest-mismatch", message: "digests of relative errors \(relativeError) and \(other.relativeError) cannot be merged (\(other.path))")
        }
        var heads = try readers.indices.map { try readers[$0].next() }
        while let id = heads.compactMap({ $0?.id }).min(by: { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }) {
            var buckets: [(index: Int32, count: UInt32)] = []
            for k in heads.indices where heads[k]?.id == id {
                buckets = try sum(buckets, heads[k]!.buckets, gene: id)
                heads[k] = try readers[k].next()
            }
            try body(relativeError, id, buckets)
        }
        return relativeError
    }

    /// Two ascending bucket lists as one, counts of a bucket in both added.
    private static func sum(
        _ a: [(index: Int32, count: UInt32)], _ b: [(index: Int32, count: UInt32)], gene: String
    ) throws -> [(index: Int32, count: UInt32)] {
        guard !a.isEmpty else { return b }
        var result: [(index: Int32, count: UInt32)] = []
        result.reserveCapacity(a.count + b.count)
        var (i, j) = (0, 0)
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].index < b[j].index) {
                result.append(a[i])
                i += 1
            } else if i == a.count || b[j].index < a[i].index {
                result.append(b[j])
                j += 1
            } else {
                let (count, overflow) = a[i].count.addingReportingOverflow(b[j].count)
                guard !overflow else { throw PreprocessError(code: "digest-overflow", message: "\(gene) has more than \(UInt32.max) values in one bucket of the merged digests") }
                result.append((a[i].index, count))
                (i, j) = (i + 1, j + 1)
            }
        }
        return result
    }

    /// Writes the file atomically.
    public func write(to path: String) throws {
        var writer = GeneDigestWriter(relativeError: digest.relativeError)
        let order = genes.indices.sorted { genes[$0].unicodeScalars.lexicographicallyPrecedes(genes[$1].unicodeScalars) }
        for index in order { writer.append(id: genes[index], buckets: digest.buckets(gene: index)) }
        try writer.commit(to: path)
    }

    /// Reads a file ``write(to:)`` wrote.
    public init(contentsOf path: String) throws {
        var reader = try GeneDigestReader(path: path)
        var genes: [String] = []
        var buckets: [[(index: Int32, count: UInt32)]] = []
        while let (id, gene) = try reader.next() {
            genes.append(id)
            buckets.append(gene)
        }
        self.init(genes: genes, digest: MedianDigest(buckets: buckets, relativeError: reader.relativeError))
    }
}
